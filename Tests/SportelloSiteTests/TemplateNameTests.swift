import Testing

@testable import SportelloSite

/// Which files of a templates folder are templates, and their names (`TemplateLibrary.templateName`): the one rule
/// the folder's loader and the files read once at start share.
@Suite struct TemplateNameTests {
    @Test func pagesLoseTheirExtensionAndMessagesKeepIt() {
        #expect(TemplateLibrary.templateName(relativePath: "week.html") == "week")
        #expect(TemplateLibrary.templateName(relativePath: "partials/steps.html") == "partials/steps")
        #expect(TemplateLibrary.templateName(relativePath: "mail/confirmed.txt") == "mail/confirmed.txt")
        #expect(TemplateLibrary.templateName(relativePath: "mail/invite.ics") == "mail/invite.ics")
        #expect(TemplateLibrary.templateName(relativePath: "mail/raw.eml") == "mail/raw.eml")
    }

    @Test func assetsTextsHiddenAndOtherFilesAreNotTemplates() {
        for name in [
            "assets/endpoint-down.html", "assets-old/page.html", "i18n/it.json", "i18n/extra.html", ".draft.html",
            ".git/index.html", "README.md", "week.htm", "partials/.html", "mail/.txt",
        ] {
            #expect(TemplateLibrary.templateName(relativePath: name) == nil, "\(name)")
        }
    }
}
