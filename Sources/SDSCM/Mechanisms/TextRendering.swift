/// How variables become text: the strings the language model reads.
public enum TextRendering {
    /// A variable's text: `prefix + value + suffix`.
    public static func text(value: String, phrasing: Variable.Phrasing) -> String {
        phrasing.prefix + value + phrasing.suffix
    }

    /// The context a variable's value is scored or generated after: its parents' texts (in τ order), then its
    /// prefix.
    ///
    /// - `sum`/`mean`: joined by single spaces, as the parents' texts appear in the document; a root's context is
    ///   its prefix alone.
    /// - `reference`: `sdscm.py`'s construction, `' ' + text` for each parent and then `' ' + prefix`, so the
    ///   context always starts with a space.
    public static func context(parentTexts: [String], prefix: String, mode: ScoringMode) -> String {
        switch mode {
        case .sum, .mean:
            return parentTexts.isEmpty ? prefix : parentTexts.joined(separator: " ") + " " + prefix
        case .reference:
            return parentTexts.map { " " + $0 }.joined() + " " + prefix
        }
    }

    /// A unit's document: every variable's text in τ order, joined by single spaces (as `sdscm.py` does).
    public static func document(_ texts: [String]) -> String {
        texts.joined(separator: " ")
    }
}
