import SDSCM
import Testing

@Suite struct GraphTests {
    static func variable(_ name: String, _ parents: [String] = []) -> Variable {
        .categorical(name, ["x", "y"], parents: parents)
    }

    @Test func topologicalOrderKeepsDeclarationOrderAsTieBreak() throws {
        let graph = try Graph([Self.variable("c", ["a"]), Self.variable("a"), Self.variable("b"), Self.variable("d", ["c", "b"])])
        #expect(graph.order.map { graph.variables[$0].name } == ["a", "c", "b", "d"])
        // Parents are listed in τ order whatever order they were declared in.
        #expect(graph.parentIndices[3].map { graph.variables[$0].name } == ["c", "b"])
        let declaredInOrder = try Graph([Self.variable("a"), Self.variable("b"), Self.variable("c", ["b", "a"])])
        #expect(declaredInOrder.order == [0, 1, 2])
        #expect(declaredInOrder.parentIndices[2] == [0, 1])
    }

    @Test func ancestorsAndDescendants() throws {
        let graph = try Graph([Self.variable("a"), Self.variable("b", ["a"]), Self.variable("c", ["b"]), Self.variable("d")])
        #expect(graph.ancestors(of: 2) == [0, 1])
        #expect(graph.descendants(of: 0) == [1, 2])
        #expect(graph.descendants(of: 3).isEmpty)
    }

    @Test func errorsNameTheCulprit() {
        #expect(throws: CausalModelError.cycle(["a", "b", "c", "a"])) {
            try Graph([Self.variable("a", ["c"]), Self.variable("b", ["a"]), Self.variable("c", ["b"]), Self.variable("d")])
        }
        #expect(throws: CausalModelError.cycle(["a", "a"])) { try Graph([Self.variable("a", ["a"])]) }
        #expect(throws: CausalModelError.unknownParent(variable: "b", parent: "z")) {
            try Graph([Self.variable("a"), Self.variable("b", ["z"])])
        }
        #expect(throws: CausalModelError.duplicateVariable("a")) { try Graph([Self.variable("a"), Self.variable("a")]) }
        #expect(throws: CausalModelError.invalidDomain(variable: "e", reason: "the domain is empty")) {
            try Graph([.categorical("e", [])])
        }
        #expect(throws: CausalModelError.invalidDomain(variable: "e", reason: "value 'x' is listed twice")) {
            try Graph([.categorical("e", ["x", "x"])])
        }
        #expect(throws: CausalModelError.unknownVariable("q")) { try Graph([Self.variable("a")]).index(of: "q") }
        let message = String(describing: CausalModelError.cycle(["a", "b", "a"]))
        #expect(message == "the graph has a cycle: a → b → a")
    }

    @Test func dotAndMermaid() throws {
        let graph = try Graph([
            .categorical("age", ["young", "old"], exogenous: true),
            .categorical("therapy choice", ["a", "b"], parents: ["age"]),
            .text("note", .init(maxTokens: 5), parents: ["therapy choice"]),
        ])
        #expect(graph.dot() == """
            digraph sdscm {
              rankdir=LR;
              age [style=dashed];
              "therapy choice";
              note [shape=box];
              age -> "therapy choice";
              "therapy choice" -> note;
            }
            """)
        #expect(graph.mermaid() == """
            flowchart LR
              n0(["age"])
              n1(["therapy choice"])
              n2["note"]
              n0 -.-> n1
              n1 --> n2
            """)
    }
}
