extension Duration {
    /// The duration in seconds as a `Double`: what timings, rates and estimates are computed in.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
