/// An S3-compatible bucket the published pages are copied to after each publish batch, for a CDN to serve
/// (`publish.s3` in `sportello.json`; README "Pages from object storage"). The copy is made by rclone.
public struct ObjectStorageSettings: Sendable, Equatable {
    /// The bucket's name.
    public var bucket: String
    /// The bucket service's address, such as `https://s3.eu-south-1.amazonaws.com`.
    public var endpoint: String
    /// Folder inside the bucket, without leading or trailing slash; empty = the bucket's root.
    public var prefix = ""
    /// The region rclone signs requests for; S3-compatible services other than AWS mostly accept the default.
    public var region = "us-east-1"
    /// rclone's name for the S3 provider (`AWS`, `Minio`, `Ceph`, `Other`…).
    public var provider = "Other"
    /// Keys in the AWS shared-credentials format (`[default]`, `aws_access_key_id`, `aws_secret_access_key`);
    /// nil = rclone takes them from the environment (`AWS_ACCESS_KEY_ID`…) or the instance's role.
    public var credentialsFile: String?
    /// The rclone executable that makes the copy.
    public var rclonePath = "/usr/bin/rclone"
    /// What is in the bucket (path, size, time of each file uploaded); nil = `uploaded-pages.tsv` beside the database.
    public var stateFile: String?

    /// A bucket at `endpoint` with the defaults for everything else.
    public init(bucket: String, endpoint: String) {
        self.bucket = bucket
        self.endpoint = endpoint
    }
}
