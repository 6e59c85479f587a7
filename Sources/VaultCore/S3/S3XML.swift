/// The XML S3 speaks, both ways, without a general XML library: answers are built by `S3XMLWriter` with every
/// text escaped; the two request bodies S3 clients send (`CompleteMultipartUpload`, `Delete`) are read by
/// `S3XMLReader`, a small element reader that refuses DOCTYPEs and entities other than the five predefined and
/// numeric ones (no external entities, no expansion bombs), bounds depth and size, and works in one pass.
public struct S3XMLWriter {
    public private(set) var text = #"<?xml version="1.0" encoding="UTF-8"?>"#

    public init() {}

    public mutating func open(_ name: String, namespace: Bool = false) {
        text += namespace ? #"<\#(name) xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"# : "<\(name)>"
    }

    public mutating func close(_ name: String) { text += "</\(name)>" }

    public mutating func element(_ name: String, _ value: String) {
        text += "<\(name)>\(Self.escape(value))</\(name)>"
    }

    public mutating func element(_ name: String, _ body: (inout S3XMLWriter) -> Void) {
        open(name)
        body(&self)
        close(name)
    }

    /// Text and attribute values, as every document VoiceVault writes escapes them. Characters XML 1.0 cannot
    /// carry (controls other than tab, LF, CR) never reach here: keys and bucket names cannot hold them.
    public static func escape(_ value: String) -> String { MarkupEscaping.escaped(value) }
}

/// One element of a request body: its local name (any prefix dropped), text, and children.
public struct S3XMLElement: Equatable, Sendable {
    public var name: String
    public var text: String
    public var children: [S3XMLElement]

    public func child(_ name: String) -> S3XMLElement? { children.first { $0.name == name } }
    public func all(_ name: String) -> [S3XMLElement] { children.filter { $0.name == name } }
}

public enum S3XMLReader {
    public static let maximumBytes = 2 << 20
    public static let maximumDepth = 8
    public static let maximumElements = 50_000

    /// The document element of `bytes`, or `S3Error` `MalformedXML`.
    public static func parse(_ bytes: [UInt8]) throws(S3Error) -> S3XMLElement {
        guard bytes.count <= maximumBytes else { throw .malformedXML("the XML body is larger than \(maximumBytes) bytes") }
        var stack: [S3XMLElement] = []
        var root: S3XMLElement?
        var count = 0
        var index = 0
        func fail(_ message: String) -> S3Error { .malformedXML("The XML you provided was not well-formed: \(message)") }
        while index < bytes.count {
            if bytes[index] != UInt8(ascii: "<") {
                var end = index
                while end < bytes.count, bytes[end] != UInt8(ascii: "<") { end += 1 }
                let text = try decodeText(bytes[index..<end])
                if stack.isEmpty {
                    guard text.allSatisfy(\.isWhitespace) else { throw fail("text outside the document element") }
                } else {
                    stack[stack.count - 1].text += text
                }
                index = end
                continue
            }
            guard let close = bytes[index...].firstIndex(of: UInt8(ascii: ">")) else { throw fail("an unclosed tag") }
            let tag = Array(bytes[(index + 1)..<close])
            index = close + 1
            guard let first = tag.first else { throw fail("an empty tag") }
            switch first {
            case UInt8(ascii: "?"):
                continue  // the XML declaration
            case UInt8(ascii: "!"):
                guard tag.starts(with: Array("!--".utf8)), tag.count >= 5, tag.suffix(2) == [UInt8(ascii: "-"), UInt8(ascii: "-")] else {
                    throw fail("DOCTYPE, CDATA and other declarations are not accepted")
                }
            case UInt8(ascii: "/"):
                let name = localName(tag.dropFirst())
                guard var element = stack.popLast(), element.name == name else {
                    throw fail("a closing tag </\(name)> without its opening")
                }
                element.text = element.children.isEmpty ? element.text : element.text.trimmingWhitespace()
                if stack.isEmpty {
                    guard root == nil else { throw fail("more than one document element") }
                    root = element
                } else {
                    stack[stack.count - 1].children.append(element)
                }
            default:
                count += 1
                guard count <= maximumElements else { throw fail("more than \(maximumElements) elements") }
                let selfClosing = tag.last == UInt8(ascii: "/")
                let element = S3XMLElement(name: localName(selfClosing ? tag.dropLast() : tag[...]), text: "", children: [])
                guard !element.name.isEmpty else { throw fail("a tag without a name") }
                if selfClosing {
                    if stack.isEmpty {
                        guard root == nil else { throw fail("more than one document element") }
                        root = element
                    } else {
                        stack[stack.count - 1].children.append(element)
                    }
                } else {
                    guard root == nil else { throw fail("content after the document element") }
                    stack.append(element)
                    guard stack.count <= maximumDepth else { throw fail("elements nested deeper than \(maximumDepth)") }
                }
            }
        }
        guard stack.isEmpty, let root else { throw fail("the document ended early") }
        return root
    }

    /// The tag's name without attributes or a namespace prefix.
    static func localName(_ tag: ArraySlice<UInt8>) -> String {
        let name = tag.prefix {
            !($0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r"))
        }
        let local = name.lastIndex(of: UInt8(ascii: ":")).map { name[(($0) + 1)...] } ?? name
        return String(decoding: local, as: UTF8.self)
    }

    /// Text with the five predefined entities and numeric character references decoded; anything else refused.
    static func decodeText(_ bytes: ArraySlice<UInt8>) throws(S3Error) -> String {
        guard bytes.contains(UInt8(ascii: "&")) else {
            guard let text = String(validating: bytes, as: UTF8.self) else { throw .malformedXML("the XML is not UTF-8") }
            return text
        }
        var out: [UInt8] = []
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "&") else {
                out.append(byte)
                index += 1
                continue
            }
            guard let semicolon = bytes[index...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else {
                throw .malformedXML("an unterminated entity")
            }
            let entity = String(decoding: bytes[(index + 1)..<semicolon], as: UTF8.self)
            index = semicolon + 1
            switch entity {
            case "amp": out.append(UInt8(ascii: "&"))
            case "lt": out.append(UInt8(ascii: "<"))
            case "gt": out.append(UInt8(ascii: ">"))
            case "quot": out.append(UInt8(ascii: "\""))
            case "apos": out.append(UInt8(ascii: "'"))
            default:
                let value: UInt32? =
                    entity.hasPrefix("#x")
                    ? UInt32(entity.dropFirst(2), radix: 16)
                    : entity.hasPrefix("#") ? UInt32(entity.dropFirst(), radix: 10) : nil
                guard let value, let scalar = Unicode.Scalar(value) else { throw .malformedXML("unknown entity &\(entity);") }
                out += Array(String(Character(scalar)).utf8)
            }
        }
        guard let text = String(validating: out, as: UTF8.self) else { throw .malformedXML("the XML is not UTF-8") }
        return text
    }
}
