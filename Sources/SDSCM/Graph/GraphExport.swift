extension Graph {
    /// The graph in Graphviz DOT: one node per variable (exogenous ones dashed, free-text ones as boxes), one edge
    /// per parent link, nodes in τ order.
    public func dot(name: String = "sdscm") -> String {
        var lines = ["digraph \(Self.dotIdentifier(name)) {", "  rankdir=LR;"]
        for index in order {
            let variable = variables[index]
            var attributes: [String] = []
            if variable.isText { attributes.append("shape=box") }
            if variable.exogenous { attributes.append("style=dashed") }
            lines.append("  \(Self.dotIdentifier(variable.name))" + (attributes.isEmpty ? ";" : " [\(attributes.joined(separator: ", "))];"))
        }
        for index in order {
            for parent in parentIndices[index] {
                lines.append("  \(Self.dotIdentifier(variables[parent].name)) -> \(Self.dotIdentifier(variables[index].name));")
            }
        }
        lines.append("}")
        return lines.joined(separator: "\n")
    }

    /// The graph as a Mermaid flowchart (`flowchart LR`), nodes named n0, n1, … in declaration order with the
    /// variable names as labels.
    public func mermaid() -> String {
        var lines = ["flowchart LR"]
        for index in order {
            let variable = variables[index]
            let label = Self.mermaidLabel(variable.name)
            lines.append(variable.isText ? "  n\(index)[\"\(label)\"]" : "  n\(index)([\"\(label)\"])")
        }
        for index in order {
            for parent in parentIndices[index] {
                lines.append(variables[parent].exogenous ? "  n\(parent) -.-> n\(index)" : "  n\(parent) --> n\(index)")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// A DOT ID: the name itself when it is a plain identifier, otherwise quoted with escapes.
    static func dotIdentifier(_ name: String) -> String {
        let plain = !name.isEmpty && name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
            && !("0"..."9").contains(name.unicodeScalars.first!)
        if plain { return name }
        return "\"" + name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }

    /// Mermaid labels cannot contain raw double quotes; they take HTML entities.
    static func mermaidLabel(_ name: String) -> String {
        name.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "\n", with: " ")
    }
}
