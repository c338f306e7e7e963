/// The release, as in the `VERSION` file at the top of the repository (a test keeps the two equal).
public let sportelloVersion = "0.9.0"
