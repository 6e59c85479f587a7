/// An EPUB 3 Media Overlay (SMIL 3.0) for one chapter: a `<par>` per sentence pairing the sentence's element in
/// the chapter's XHTML (`<textReference>#s<N>`, the ids listen mode gives its sentences too) with the clip of
/// the audio that speaks it; the sequence refers to the chapter's element, `#chapter` (EPUB requires a fragment). Reading systems such as Thorium and Readest play these with the text
/// highlighted; the publisher adds the overlay to the package's manifest with `media-overlay`.
public enum MediaOverlayDocument {
    /// - Parameters:
    ///   - textReference: the chapter document, relative to the SMIL file (`chapter.xhtml`).
    ///   - audioReference: the audio file, relative to the SMIL file.
    public static func render(_ segments: TimedSegments, textReference: String, audioReference: String) -> String {
        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <smil xmlns="http://www.w3.org/ns/SMIL" xmlns:epub="http://www.idpf.org/2007/ops" version="3.0">
              <body>
                <seq id="chapter" epub:textref="\(attribute(textReference))#chapter">

            """
        for (number, sentence) in segments.sentences.enumerated() {
            out += """
                      <par id="p\(number + 1)">
                        <text src="\(attribute(textReference))#s\(number + 1)"/>
                        <audio src="\(attribute(audioReference))" clipBegin="\(clock(sentence.startMilliseconds))" clipEnd="\(clock(sentence.endMilliseconds))"/>
                      </par>

                """
        }
        out += """
                </seq>
              </body>
            </smil>

            """
        return out
    }

    /// SMIL clock value in seconds with milliseconds: `12.345s`.
    static func clock(_ milliseconds: UInt32) -> String {
        let millis = String(milliseconds % 1000)
        return "\(milliseconds / 1000)." + String(repeating: "0", count: 3 - millis.count) + millis + "s"
    }

    static func attribute(_ text: String) -> String { MarkupEscaping.escaped(text) }
}
