/// How a language model's candidate scores become a categorical mechanism.
public enum ScoringMode: String, Sendable, CaseIterable {
    /// The chain-rule probability of the candidate's text after the context (the paper's Def. A.5), renormalized
    /// over the domain. The context is the parents' texts joined by spaces, then a space and the prefix (no
    /// leading space for a root). Each candidate's full string is tokenized as a whole and scored from the
    /// longest token prefix all candidates share, so merges across the prefix/candidate boundary and leading
    /// spaces come out as the tokenizer really produces them.
    case sum
    /// The average log-probability of each candidate's own tokens: every token from where the candidate's full
    /// tokenization leaves the context's, including tokens all candidates share (a per-token geometric mean,
    /// which favours long candidates less than the true probability does, and does not depend on how much the
    /// candidates overlap).
    case mean
    /// Exactly `sdscm.py`'s `chunk_continuation`: context `' ' + parent` for each parent, then `' ' + prefix`,
    /// tokenized with special tokens; each candidate tokenized on its own (BOS included when the model adds
    /// one); every candidate token scored at the position after the *whole* candidate, and averaged; softmax
    /// over candidates. Reproduces the reference's numbers, bug included (see Documentation/Concepts.md).
    case reference
}
