import Foundation
import Testing
import VaultTestSupport
@testable import VaultCore

/// The checks that stand in for MP3 frames for every other format: Ogg Opus page walks, WAV chunks, and the
/// sample arithmetic of headerless audio, each on good, truncated and forged files.
@Suite struct AudioInspectionTests {
    /// An Ogg Opus stream written page by page, as an encoder lays it out: OpusHead alone on a beginning page,
    /// OpusTags, then audio pages (here one-byte packets, each 20 ms) with granule positions, the last marked
    /// end of stream. Checksums are computed independently of the inspector's table (bit by bit).
    static func opus(
        audioPages: Int = 5, packetsPerPage: Int = 10, packetBytes: Int = 1, preSkip: Int = 312, serial: UInt32 = 0x1234_5678
    ) -> [UInt8] {
        var out = [UInt8]()
        var sequence: UInt32 = 0
        func page(_ packets: [[UInt8]], flags: UInt8, granule: UInt64) {
            var lacing = [UInt8]()
            for packet in packets {
                var length = packet.count
                while length >= 255 {
                    lacing.append(255)
                    length -= 255
                }
                lacing.append(UInt8(length))
            }
            var header = Array("OggS".utf8) + [0, flags]
            for shift in stride(from: 0, to: 64, by: 8) { header.append(UInt8(truncatingIfNeeded: granule >> UInt64(shift))) }
            for value in [serial, sequence, 0] {
                for shift in stride(from: 0, to: 32, by: 8) { header.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
            }
            header.append(UInt8(lacing.count))
            var bytes = header + lacing + packets.flatMap { $0 }
            let crc = bitwiseCRC(bytes)
            for (index, shift) in stride(from: 0, to: 32, by: 8).enumerated() {
                bytes[22 + index] = UInt8(truncatingIfNeeded: crc >> UInt32(shift))
            }
            out += bytes
            sequence += 1
        }
        let head = Array("OpusHead".utf8) + [1, 1, UInt8(preSkip & 0xFF), UInt8(preSkip >> 8), 0x80, 0xBB, 0, 0, 0, 0, 0]
        page([head], flags: 0x02, granule: 0)
        page([Array("OpusTags".utf8) + [0, 0, 0, 0, 0, 0, 0, 0]], flags: 0, granule: 0)
        var granule = UInt64(0)
        for index in 0..<audioPages {
            granule += UInt64(packetsPerPage * 960)
            page(
                Array(repeating: [0xF8] + Array(repeating: 0, count: packetBytes - 1), count: packetsPerPage),
                flags: index == audioPages - 1 ? 0x04 : 0, granule: granule)
        }
        return out
    }

    static func bitwiseCRC(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0
        for byte in bytes {
            crc ^= UInt32(byte) << 24
            for _ in 0..<8 { crc = crc & 0x8000_0000 != 0 ? (crc << 1) ^ 0x04C1_1DB7 : crc << 1 }
        }
        return crc
    }

    @Test func everyOutputFormatParsesAndNothingElse() throws {
        for value in OutputFormat.all {
            let format = try #require(AudioFormat(outputFormat: value), "\(value)")
            #expect(value.hasPrefix(format.codec.rawValue + "_\(format.sampleRate)"))
        }
        for value in ["mp3", "mp3_44100", "opus_48000_1000", "flac_44100", "pcm_8000_16", "", "wav_8000_"] {
            #expect(AudioFormat(outputFormat: value) == nil, "\(value)")
        }
        #expect(AudioFormat(outputFormat: "mp3_44100_128")?.kilobitsPerSecond == 128)
        #expect(AudioFormat(outputFormat: "ulaw_8000")?.contentType == "audio/basic")
        #expect(AudioFormat(outputFormat: "wav_16000")?.isStreamedUpstream == false)
        #expect(
            OutputFormat.all.compactMap(AudioFormat.init(outputFormat:)).filter(\.playsInBrowsers).allSatisfy {
                [.mp3, .opus, .wav].contains($0.codec)
            })
    }

    @Test func aGoodOggOpusStreamGivesItsDurationFromTheGranule() throws {
        let info = try OggOpusInspector.inspect(Self.opus())
        #expect(info.pages == 7)
        #expect(info.channels == 1)
        #expect(info.preSkip == 312)
        #expect(abs(info.durationSeconds - (50 * 0.02 - 312.0 / 48_000)) < 1e-9)
        // Packets of 255 bytes and more span lacing values.
        let long = try OggOpusInspector.inspect(Self.opus(audioPages: 2, packetsPerPage: 3, packetBytes: 600))
        #expect(long.pages == 4)
        #expect(abs(long.durationSeconds - (6 * 0.02 - 312.0 / 48_000)) < 1e-9)
        #expect(try OggOpusInspector.inspect(Self.opus(audioPages: 1, packetsPerPage: 1)).pages == 3)
    }

    @Test func truncatedOrForgedOggIsRefused() {
        let good = Self.opus()
        for cut in [0, 10, 27, 40, good.count / 2, good.count - 1] {
            #expect(throws: OggOpusInspector.Failure.self, "cut at \(cut)") { try OggOpusInspector.inspect(Array(good.prefix(cut))) }
        }
        // One flipped bit anywhere in a page body fails its CRC.
        var flipped = good
        flipped[good.count - 3] ^= 0x01
        #expect(throws: OggOpusInspector.Failure.badChecksum(page: 6)) { try OggOpusInspector.inspect(flipped) }
        // A page dropped from the middle breaks the sequence.
        let pages = Self.pageRanges(good)
        let dropped = Array(good[..<pages[3].lowerBound] + good[pages[3].upperBound...])
        #expect(throws: OggOpusInspector.Failure.outOfSequence(page: 3)) { try OggOpusInspector.inspect(dropped) }
        // Without its last page there is no end of stream.
        #expect(throws: OggOpusInspector.Failure.noEndOfStream) { try OggOpusInspector.inspect(Array(good[..<pages[6].lowerBound])) }
        // Bytes after the end of the stream, another stream's page, a stream that is not Opus.
        #expect(throws: OggOpusInspector.Failure.self) { try OggOpusInspector.inspect(good + Self.opus(serial: 7)) }
        #expect(throws: OggOpusInspector.Failure.self) { try OggOpusInspector.inspect(good + [0]) }
        var vorbis = Self.opus()
        vorbis.replaceSubrange(pages[0].upperBound - 19..<pages[0].upperBound - 11, with: Array("OpusHeaX".utf8))
        #expect(throws: OggOpusInspector.Failure.self) { try OggOpusInspector.inspect(vorbis) }
        #expect(throws: OggOpusInspector.Failure.empty) { try OggOpusInspector.inspect([]) }
        #expect(throws: OggOpusInspector.Failure.self) { try OggOpusInspector.inspect(Array("ID3".utf8) + good) }
    }

    static func pageRanges(_ bytes: [UInt8]) -> [Range<Int>] {
        var ranges = [Range<Int>]()
        var offset = 0
        while offset + 27 <= bytes.count {
            let segments = Int(bytes[offset + 26])
            let body = bytes[(offset + 27)..<(offset + 27 + segments)].reduce(0) { $0 + Int($1) }
            ranges.append(offset..<(offset + 27 + segments + body))
            offset += 27 + segments + body
        }
        return ranges
    }

    /// The WAV inspector agrees with the writer and reader the offline synthesizer uses (`PCMWave`) on every
    /// file that writer makes, and refuses what it would only tolerate.
    @Test func wavFilesAgreeWithPCMWaveAndForgeriesAreRefused() throws {
        for (channels, rate, count) in [(1, 16_000, 3200), (1, 44_100, 0), (2, 24_000, 4800)] {
            let wave = PCMWave(channels: channels, sampleRate: rate, bitsPerSample: 16, samples: (0..<count).map { UInt8($0 & 0xFF) })
            let info = try WAVInspector.inspect(wave.bytes)
            let parsed = try PCMWave(parsing: wave.bytes)
            #expect(info.channels == parsed.channels && info.sampleRate == parsed.sampleRate)
            #expect(info.dataBytes == parsed.samples.count)
            #expect(abs(info.durationSeconds - Double(count) / Double(rate * channels * 2)) < 1e-12)
        }
        let good = PCMWave(channels: 1, sampleRate: 16_000, bitsPerSample: 16, samples: Array(repeating: 1, count: 320)).bytes
        for cut in [0, 11, 20, 43, 44 + 319] {
            #expect(throws: WAVInspector.Failure.self, "cut at \(cut)") { try WAVInspector.inspect(Array(good.prefix(cut))) }
        }
        var lyingRate = good
        lyingRate[28] ^= 0x01  // byte rate no longer rate × block
        #expect(throws: WAVInspector.Failure.self) { try WAVInspector.inspect(lyingRate) }
        var eightBit = good
        eightBit[34] = 8
        #expect(throws: WAVInspector.Failure.self) { try WAVInspector.inspect(eightBit) }
        var float = good
        float[20] = 3
        #expect(throws: WAVInspector.Failure.unsupportedEncoding("format tag 3")) { try WAVInspector.inspect(float) }
        // What a streaming writer leaves (sizes it never went back to fix) is tolerated by PCMWave, not stored.
        var unsized = good
        for index in 4..<8 { unsized[index] = 0xFF }
        #expect(throws: WAVInspector.Failure.self) { try WAVInspector.inspect(unsized) }
        #expect(throws: WAVInspector.Failure.notRIFF) { try WAVInspector.inspect(Self.opus()) }
        // A trailing chunk after the samples is fine when whole.
        var listed = good + Array("LIST".utf8) + [4, 0, 0, 0] + Array("INFO".utf8)
        let size = UInt32(listed.count - 8)
        for index in 0..<4 { listed[4 + index] = UInt8(truncatingIfNeeded: size >> UInt32(8 * index)) }
        #expect(try WAVInspector.inspect(listed).dataBytes == 320)
    }

    /// Silence as the fake upstream makes it, in every output format, passes its format's check with the
    /// duration asked for, and fails every other format's check (a file's format is what its record says).
    @Test func silenceInEveryFormatPassesItsOwnCheckOnly() throws {
        for value in OutputFormat.all.sorted() {
            let format = try #require(AudioFormat(outputFormat: value))
            let audio = SilentAudio.make(format, seconds: 1.5, seed: 3)
            let duration = try AudioInspection.durationSeconds(audio, format: format)
            #expect(abs(duration - 1.5) < 0.03, "\(value): \(duration)")
            for other in [AudioFormat.Codec.mp3, .opus, .wav] where other != format.codec {
                let otherFormat = try #require(
                    OutputFormat.all.sorted().compactMap(AudioFormat.init(outputFormat:)).first { $0.codec == other })
                #expect(throws: AudioInspection.Failure.self, "\(value) as \(other)") {
                    try AudioInspection.durationSeconds(audio, format: otherFormat)
                }
            }
        }
        // A WAV of another rate than its format says is refused.
        let wav16 = try #require(AudioFormat(outputFormat: "wav_16000"))
        let wav8 = try #require(AudioFormat(outputFormat: "wav_8000"))
        #expect(throws: AudioInspection.Failure.self) {
            try AudioInspection.durationSeconds(SilentAudio.make(wav8, seconds: 1), format: wav16)
        }
        // The fake's Opus agrees with the test's own page writer on what a page is.
        let opus = try #require(AudioFormat(outputFormat: "opus_48000_64"))
        #expect(Self.pageRanges(SilentAudio.make(opus, seconds: 2)).count == 4)
    }

    @Test func headerlessAudioIsExactSampleArithmetic() throws {
        let pcm = try #require(AudioFormat(outputFormat: "pcm_16000"))
        #expect(try RawAudioInspector.durationSeconds(byteCount: 32_000, format: pcm) == 1)
        #expect(throws: RawAudioInspector.Failure.partialSample(bytes: 32_001)) {
            try RawAudioInspector.durationSeconds(byteCount: 32_001, format: pcm)
        }
        #expect(throws: RawAudioInspector.Failure.empty) { try RawAudioInspector.durationSeconds(byteCount: 0, format: pcm) }
        let ulaw = try #require(AudioFormat(outputFormat: "ulaw_8000"))
        #expect(try RawAudioInspector.durationSeconds(byteCount: 8_001, format: ulaw) == 8_001.0 / 8_000)
        let alaw = try #require(AudioFormat(outputFormat: "alaw_8000"))
        #expect(try RawAudioInspector.durationSeconds(byteCount: 4_000, format: alaw) == 0.5)
        let mp3 = try #require(AudioFormat(outputFormat: "mp3_44100_128"))
        #expect(throws: RawAudioInspector.Failure.self) { try RawAudioInspector.durationSeconds(byteCount: 100, format: mp3) }
        let pcm48 = try #require(AudioFormat(outputFormat: "pcm_48000"))
        #expect(try RawAudioInspector.durationSeconds(byteCount: 96_000 * 3, format: pcm48) == 3)
    }
}

/// Staged audio is sealed by its format's check: MP3 frame by frame as it arrives, the others whole, read back.
@Suite struct StagedFormatTests {
    @Test func everyFormatSealsWhenWholeAndNotWhenCut() throws {
        let directory = TemporaryDirectory()
        let store = try AssetStore.open(directory: DataDirectory(root: directory.path))
        for value in ["mp3_44100_128", "opus_48000_64", "wav_16000", "pcm_24000", "ulaw_8000", "alaw_8000"] {
            let format = try #require(AudioFormat(outputFormat: value))
            let audio = SilentAudio.make(format, seconds: 1.2)
            let hash = SHA256Digest.of(Array(value.utf8))
            let whole = try store.stage(hash, format: value)
            for start in stride(from: 0, to: audio.count, by: 4096) {
                try whole.append(Array(audio[start..<min(start + 4096, audio.count)]))
            }
            let sealed = try whole.seal()
            #expect(sealed.size == audio.count && sealed.sha256 == SHA256Digest.of(audio), "\(value)")
            #expect(abs(sealed.durationSeconds - 1.2) < 0.03, "\(value): \(sealed.durationSeconds)")
            whole.discard()
            // Cut short (a PCM file by one byte: half a sample), nothing is sealed.
            let cut = try store.stage(hash, format: value)
            try cut.append(Array(audio.dropLast(format.codec == .pcm ? 1 : 7)))
            if format.codec == .ulaw || format.codec == .alaw {
                #expect(throws: Never.self) { _ = try cut.seal() }  // any number of G.711 samples is whole
            } else {
                #expect(throws: StoreError.self, "\(value)") { _ = try cut.seal() }
            }
            cut.discard()
        }
    }

    /// Audio of another format is stored, linked, checked and removed under its own extension: the store and
    /// fsck know every format's name (`<hash>.<extension>`) and refuse to treat one as a stray.
    @Test func anotherFormatLivesUnderItsOwnExtension() throws {
        let directory = TemporaryDirectory()
        let store = try AssetStore.open(directory: DataDirectory(root: directory.path))
        for value in ["pcm_16000", "opus_48000_64", "wav_24000"] {
            let format = try #require(AudioFormat(outputFormat: value))
            let spec = try SpeechSpec(text: "Stored as \(value).", voiceId: "v", outputFormat: value)
            let staged = try store.stage(spec.contentHash, format: value)
            try staged.append(SilentAudio.make(format, seconds: 0.8))
            let (record, _) = try store.publishStaged(
                try staged.seal(), hash: spec.contentHash, bookId: .book("first"), metadata: AssetMetadata(spec: spec))
            #expect(abs(record.durationSeconds - 0.8) < 0.03)
            let first = directory.path + "/audio/first/\(spec.contentHash.hex).\(format.fileExtension)"
            #expect(FileSystem.exists(first), "\(value)")
            _ = try store.link(spec.contentHash, to: .book("second"))
            #expect(FileSystem.exists(directory.path + "/audio/second/\(spec.contentHash.hex).\(format.fileExtension)"))
            #expect(try Fsck(store: store).run(repair: false).problems.isEmpty, "\(value)")
            _ = try store.unlink(spec.contentHash, from: .book("first"))
            #expect(!FileSystem.exists(first))
        }
        // A file of a known format the index does not list is reported as unindexed audio, not as a stray.
        let lost = SHA256Digest.of(Array("lost".utf8)).hex
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: directory.path + "/audio/second/\(lost).opus"))
        let report = try Fsck(store: store).run(repair: false)
        #expect(report.problems.map(\.kind) == [.unindexedFile])
        #expect(report.problems.first?.hash == lost)
    }

    /// A leftover of an interrupted publication is judged by the asset's format: whole Opus is adopted (first
    /// writer wins), cut Opus is set aside.
    @Test func aLeftoverIsJudgedByItsFormat() throws {
        let directory = TemporaryDirectory()
        let store = try AssetStore.open(directory: DataDirectory(root: directory.path))
        let format = try #require(AudioFormat(outputFormat: "opus_48000_64"))
        for (text, leftover, adopted) in [
            ("Whole.", SilentAudio.make(format, seconds: 1, seed: 1), true),
            ("Cut.", Array(SilentAudio.make(format, seconds: 1).dropLast(9)), false),
        ] {
            let spec = try SpeechSpec(text: text, voiceId: "v", outputFormat: "opus_48000_64")
            try FileSystem.makeDirectory(directory.path + "/audio/b")
            try Data(leftover).write(to: URL(fileURLWithPath: directory.path + "/audio/b/\(spec.contentHash.hex).opus"))
            let fresh = SilentAudio.make(format, seconds: 0.5, seed: 2)
            let staged = try store.stage(spec.contentHash, format: spec.outputFormat)
            try staged.append(fresh)
            let (record, _) = try store.publishStaged(
                try staged.seal(), hash: spec.contentHash, bookId: .book("b"), metadata: AssetMetadata(spec: spec))
            #expect(record.sha256 == SHA256Digest.of(adopted ? leftover : fresh).hex, "\(text)")
        }
        #expect(try FileSystem.contents(of: directory.path + "/quarantine").count == 1)
        #expect(try Fsck(store: store).run(repair: false).isClean)
    }
}
