import ArgumentParser

@main
struct VoiceVaultCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "voicevault",
        abstract: "A self-hosted, content-addressed store for text-to-speech audio.",
        subcommands: [
            ServeCommand.self, FsckCommand.self, StatsCommand.self, ImportCommand.self, BackupCommand.self, DoctorCommand.self,
            GCCommand.self, PregenerateCommand.self, MigrateCommand.self,
        ],
        defaultSubcommand: ServeCommand.self)
}
