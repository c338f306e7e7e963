import Foundation
import SportelloCore

extension SitePublisher {
    /// After a full build: pages of services or languages the configuration no longer has are removed, so
    /// `output/` serves only what the configuration offers. Only files Sportello writes are touched (its page
    /// names and their .gz copies, in its own folders); anything else an administrator put there stays, and a
    /// folder is removed only when that leaves it empty.
    func pruneRetiredPages() -> Int {
        let layout = renderer.layout
        var removed = 0
        // Service and office folders share "servizi/" (ids are unique across the tree).
        let services = Set(catalogue.publicServices.map(\.id)).union(renderer.offices.map(\.id))
        for language in SiteConfiguration.supportedLanguages {
            let root = path(language == layout.mainLanguage ? "" : "\(language)/")
            let retiredLanguage = !renderer.languages.contains(language)
            guard FileManager.default.fileExists(atPath: root) else { continue }
            let servicesFolder = root + "servizi/"
            for id in (try? FileManager.default.contentsOfDirectory(atPath: servicesFolder)) ?? []
            where retiredLanguage || !services.contains(id) {
                let folder = servicesFolder + id + "/"
                var isFolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                    continue
                }
                removed += AtomicFile.removeLeftovers(inFolder: folder)
                for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
                    let page = name.hasSuffix(".gz") ? String(name.dropLast(3)) : name
                    guard
                        page == "index.html" || page == SiteLayout.nextDataName
                            || SiteLayout.monday(weekFileName: page) != nil
                            || SiteLayout.monday(weekDataName: page) != nil
                    else { continue }
                    if unlink(folder + name) == 0, page == name { removed += 1 }
                }
                rmdir(folder)
            }
            guard retiredLanguage, language != layout.mainLanguage else { continue }
            rmdir(servicesFolder)
            for (folder, page) in [
                ("", "index.html"), ("", "404.html"), ("annulla/", "index.html"), ("operatori/", "index.html"),
                ("accesso/", "index.html"),
            ] {
                removed += AtomicFile.removeLeftovers(inFolder: root + folder)
                for name in [page, page + ".gz"] where unlink(root + folder + name) == 0 && name == page {
                    removed += 1
                }
                if !folder.isEmpty { rmdir(root + folder) }
            }
            rmdir(root)
        }
        return removed
    }
}
