"""The ground-truth causal world the bundled tiny model is trained on.

Eight variables of a small clinical story: two exogenous roots (age, smoking), a confounder (severity: it drives
both treatment and recovery), the treatment, a mediator (adherence: treatment -> adherence -> recovery), the
outcome (recovery), a collider (checkup: caused by both treatment and recovery) and a free-text note that depends
on recovery. Every categorical variable has a conditional probability table; every variable has several phrasings.
"""
import itertools
import json

VARIABLES = [
    {"name": "age", "values": ["young", "old"], "parents": [], "exogenous": True,
     "phrasings": [["The patient is ", "."], ["This patient is ", "."], ["Our patient is ", "."]],
     "table": {(): [0.55, 0.45]}},
    {"name": "smoking", "values": ["smoker", "nonsmoker"], "parents": ["age"], "exogenous": True,
     "phrasings": [["She is a ", "."], ["The patient is a ", "."], ["Records list a ", "."]],
     "table": {("young",): [0.3, 0.7], ("old",): [0.5, 0.5]}},
    {"name": "severity", "values": ["mild", "severe"], "parents": ["age", "smoking"],
     "phrasings": [["The illness is ", "."], ["Symptoms are ", "."], ["The case is ", "."]],
     "table": {("young", "smoker"): [0.5, 0.5], ("young", "nonsmoker"): [0.8, 0.2],
               ("old", "smoker"): [0.25, 0.75], ("old", "nonsmoker"): [0.6, 0.4]}},
    {"name": "treatment", "values": ["drug", "rest"], "parents": ["age", "severity"],
     "phrasings": [["The doctor prescribes ", "."], ["The plan is ", "."], ["She is given ", "."]],
     "table": {("young", "mild"): [0.3, 0.7], ("young", "severe"): [0.7, 0.3],
               ("old", "mild"): [0.5, 0.5], ("old", "severe"): [0.85, 0.15]}},
    {"name": "adherence", "values": ["high", "low"], "parents": ["treatment"],
     "phrasings": [["Adherence is ", "."], ["Her adherence is ", "."], ["Compliance is ", "."]],
     "table": {("drug",): [0.7, 0.3], ("rest",): [0.9, 0.1]}},
    {"name": "recovery", "values": ["recovered", "unwell"], "parents": ["severity", "treatment", "adherence"],
     "phrasings": [["A week later she is ", "."], ["After a week she is ", "."], ["Later she is ", "."]],
     "table": {("mild", "drug", "high"): [0.9, 0.1], ("mild", "drug", "low"): [0.7, 0.3],
               ("mild", "rest", "high"): [0.75, 0.25], ("mild", "rest", "low"): [0.6, 0.4],
               ("severe", "drug", "high"): [0.65, 0.35], ("severe", "drug", "low"): [0.4, 0.6],
               ("severe", "rest", "high"): [0.3, 0.7], ("severe", "rest", "low"): [0.2, 0.8]}},
    {"name": "checkup", "values": ["visit", "none"], "parents": ["treatment", "recovery"],
     "phrasings": [["Follow-up: ", "."], ["Next step: ", "."], ["Checkup: ", "."]],
     "table": {("drug", "recovered"): [0.3, 0.7], ("drug", "unwell"): [0.8, 0.2],
               ("rest", "recovered"): [0.1, 0.9], ("rest", "unwell"): [0.6, 0.4]}},
    {"name": "note", "text": {"max_tokens": 8, "stop": ["."]}, "parents": ["recovery"],
     "phrasings": [["Note: she ", "."], ["Comment: she ", "."], ["Remark: she ", "."]],
     # Free text: the note is one of these phrases, uniformly, given recovery.
     "phrases": {("recovered",): ["feels great", "is back at work", "sleeps well"],
                 ("unwell",): ["still has pain", "feels tired", "needs more rest"]}},
]
TREATMENT = "treatment"
OUTCOME = "recovery"
BY_NAME = {v["name"]: v for v in VARIABLES}


def sample_unit(rng):
    """One unit of the world: every variable's value, by ancestral sampling in declaration (topological) order."""
    unit = {}
    for v in VARIABLES:
        key = tuple(unit[p] for p in v["parents"])
        if "table" in v:
            unit[v["name"]] = v["values"][rng.choice(len(v["values"]), p=v["table"][key])]
        else:
            phrases = v["phrases"][key]
            unit[v["name"]] = phrases[rng.integers(len(phrases))]
    return unit


def render(variable, value, phrasing):
    prefix, suffix = variable["phrasings"][phrasing]
    return prefix + value + suffix


def document(rng, keep_probability=0.3):
    """A training document: a target variable's sentence after its parents' sentences (always) and some other
    earlier sentences (each with `keep_probability`), in topological order, each in a random phrasing.

    Sentences that are not parents are dropped independently of their values, so by the local Markov property the
    target's distribution given any such context is its table row: contexts with exactly the parents (the SD-SCM
    rule) are in distribution, and extra non-parents carry no extra information.
    """
    unit = sample_unit(rng)
    target = rng.integers(len(VARIABLES))
    parents = set(VARIABLES[target]["parents"])
    sentences = []
    for v in VARIABLES[:target]:
        if v["name"] in parents or rng.random() < keep_probability:
            sentences.append(render(v, unit[v["name"]], rng.integers(3)))
    sentences.append(render(VARIABLES[target], unit[VARIABLES[target]["name"]], rng.integers(3)))
    return " ".join(sentences)


def configuration():
    """The world as SDSCM's JSON configuration (phrasing 0 is used unless chosen otherwise)."""
    variables = []
    for v in VARIABLES:
        entry = {"name": v["name"]}
        if "values" in v:
            entry["values"] = v["values"]
        else:
            entry["text"] = v["text"]
        entry["phrasings"] = v["phrasings"]
        entry["parents"] = v["parents"]
        if v.get("exogenous"):
            entry["exogenous"] = True
        variables.append(entry)
    return {"name": "tiny-world",
            "description": "The causal world the bundled tiny model was trained on (Tests/Tools/tiny-model/world.py).",
            "variables": variables, "treatment": TREATMENT, "outcome": OUTCOME}


def tables():
    """Every categorical variable's table as JSON: rows of parent values and probabilities."""
    result = {}
    for v in VARIABLES:
        if "table" not in v:
            continue
        result[v["name"]] = [{"parents": dict(zip(v["parents"], key)), "probabilities": dict(zip(v["values"], p))}
                             for key, p in v["table"].items()]
    return result


def exact_marginal(name, interventions=None):
    """Exact marginal of a categorical variable by enumeration, under optional {variable: value} interventions."""
    interventions = interventions or {}
    categorical = [v for v in VARIABLES if "table" in v]
    totals = {value: 0.0 for value in BY_NAME[name]["values"]}
    for values in itertools.product(*[v["values"] for v in categorical]):
        unit = dict(zip([v["name"] for v in categorical], values))
        p = 1.0
        for v in categorical:
            if v["name"] in interventions:
                p *= 1.0 if unit[v["name"]] == interventions[v["name"]] else 0.0
            else:
                p *= v["table"][tuple(unit[q] for q in v["parents"])][v["values"].index(unit[v["name"]])]
        totals[unit[name]] += p
    return totals


def true_ate():
    """P(recovered | do(drug)) − P(recovered | do(rest)) in the world."""
    treated = exact_marginal(OUTCOME, {TREATMENT: "drug"})["recovered"]
    control = exact_marginal(OUTCOME, {TREATMENT: "rest"})["recovered"]
    return treated - control


if __name__ == "__main__":
    print(json.dumps(configuration(), indent=2))
    print("true ATE", true_ate())
