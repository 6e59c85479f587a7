import HTTPTypes

extension HTTPFields {
    /// `self[name] = value`, without the subscript's replacement machinery when the field is absent, the usual
    /// case on the download paths, where an append costs a fraction of the subscript (Docs/PERFORMANCE.md,
    /// "Downloads from the request bytes").
    mutating func set(_ name: HTTPField.Name, _ value: String) {
        if contains(name) {
            self[name] = value
        } else {
            append(HTTPField(name: name, value: value))
        }
    }
}
