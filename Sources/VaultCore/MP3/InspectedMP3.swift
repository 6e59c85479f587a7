/// MP3 bytes that have been walked frame by frame and found complete, with what the walk learned.
///
/// The only way to make one is to inspect the bytes, so holding one proves it: the synthesizer that produced
/// the audio inspects it once, and the store that publishes it need not walk the frames a second time to
/// trust it. Anything that arrives as plain bytes is inspected at the store's door instead.
public struct InspectedMP3: Sendable {
    public let bytes: [UInt8]
    public let info: MP3Info

    public init(_ bytes: [UInt8]) throws(MP3Error) {
        info = try MP3Inspector.inspect(bytes)
        self.bytes = bytes
    }
}
