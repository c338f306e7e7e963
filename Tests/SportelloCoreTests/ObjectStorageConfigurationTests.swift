import Foundation
import Testing

@testable import SportelloCore

@Suite struct ObjectStorageConfigurationTests {
    func parse(_ publish: String) throws(ConfigurationError) -> SiteConfiguration {
        try SiteConfiguration.parse(
            Data(
                #"""
                {"comune": {"name": "C", "baseURL": "https://prenota.example.it"}, "publish": \#(publish),
                 "services": [{"id": "a", "name": "A", "slotMinutes": 30, "schedule": {}}]}
                """#.utf8))
    }

    func errorPath(_ publish: String) -> String? {
        do {
            _ = try parse(publish)
            return nil
        } catch {
            return error.path
        }
    }

    @Test func theBucketWithItsDefaults() throws {
        let minimal = #"{"s3": {"bucket": "comune-pages", "endpoint": "https://s3.example.it"}}"#
        let settings = try #require(try parse(minimal).objectStorage)
        #expect(settings.bucket == "comune-pages" && settings.endpoint == "https://s3.example.it")
        #expect(settings.prefix == "" && settings.region == "us-east-1" && settings.provider == "Other")
        #expect(settings.credentialsFile == nil && settings.rclonePath == "/usr/bin/rclone")
        #expect(settings.stateFile == nil)
        let full = try #require(
            try parse(
                #"""
                {"s3": {"bucket": "b.pages", "endpoint": "http://127.0.0.1:5000", "prefix": "/valfiorita/",
                        "region": "eu-south-1", "provider": "Minio", "credentialsFile": "/etc/sportello/s3",
                        "rclonePath": "/opt/rclone", "stateFile": "/srv/s"}}
                """#
            ).objectStorage)
        #expect(full.prefix == "valfiorita" && full.region == "eu-south-1" && full.provider == "Minio")
        #expect(full.credentialsFile == "/etc/sportello/s3" && full.rclonePath == "/opt/rclone")
        #expect(full.stateFile == "/srv/s")
        #expect(try parse("{}").objectStorage == nil)
    }

    @Test func badValuesNameTheirPath() {
        #expect(errorPath(#"{"s3": {"bucket": "Capitals", "endpoint": "https://a.it"}}"#) == "publish.s3.bucket")
        #expect(errorPath(#"{"s3": {"bucket": "ok-name", "endpoint": "s3.example.it"}}"#) == "publish.s3.endpoint")
        #expect(errorPath(#"{"s3": {"bucket": "ok-name", "endpoint": "https://a.it', x"}}"#) == "publish.s3.endpoint")
        #expect(
            errorPath(#"{"s3": {"bucket": "ok-name", "endpoint": "https://a.it", "prefix": "a/../b"}}"#)
                == "publish.s3.prefix")
        #expect(
            errorPath(#"{"s3": {"bucket": "ok-name", "endpoint": "https://a.it", "region": "eu:1"}}"#)
                == "publish.s3.region")
        #expect(errorPath(#"{"s3": {"bucket": "ok-name", "endpoint": "https://a.it", "tool": "aws"}}"#) != nil)
        #expect(errorPath(#"{"s3": {"endpoint": "https://a.it"}}"#) != nil)
        #expect(errorPath(#"{"cdn": {}}"#) != nil)
    }

    @Test func litestreamOwnsTheLogOnlyWhenSaidSo() throws {
        func parse(_ extra: String) throws(ConfigurationError) -> SiteConfiguration {
            try SiteConfiguration.parse(
                Data(
                    #"""
                    {"comune": {"name": "C", "baseURL": "https://prenota.example.it"}, \#(extra)
                     "services": [{"id": "a", "name": "A", "slotMinutes": 30, "schedule": {}}]}
                    """#.utf8))
        }
        #expect(try parse("").replicatedByLitestream == false)
        #expect(try parse(#""replication": {"litestream": true},"#).replicatedByLitestream == true)
        #expect(throws: ConfigurationError.self) { try parse(#""replication": {"litestream": "yes"},"#) }
        #expect(throws: ConfigurationError.self) { try parse(#""replication": {"tool": "litestream"},"#) }
    }
}
