"""A TeX formula as a reader would write it in plain text: "\\mathbf {y} _{i}\\in \\mathbb {R} ^{d}" as "y_i ∈ ℝ^d".
Wiki pages give each formula's TeX (MathML `alttext`); quoted raw, a sentence about it was unreadable."""
from __future__ import annotations

import re

_GREEK = ("alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi rho sigma "
          "tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega").split()
_GREEK_LETTERS = "αβγδεεζηθθικλμνξπρστυφφχψωΓΔΘΛΞΠΣΥΦΨΩ"
_SYMBOLS = {**dict(zip(_GREEK, _GREEK_LETTERS)),
            "dots": "…", "ldots": "…", "cdots": "⋯", "in": " ∈ ", "notin": " ∉ ", "cdot": "·", "times": "×",
            "leq": " ≤ ", "le": " ≤ ", "geq": " ≥ ", "ge": " ≥ ", "neq": " ≠ ", "ne": " ≠ ", "approx": " ≈ ",
            "sim": " ~ ", "propto": " ∝ ", "equiv": " ≡ ", "infty": "∞", "sum": "Σ", "prod": "Π", "int": "∫",
            "partial": "∂", "nabla": "∇", "to": " → ", "rightarrow": " → ", "leftarrow": " ← ",
            "mapsto": " ↦ ",
            "mid": "|", "vert": "|", "lVert": "‖", "rVert": "‖", "Vert": "‖", "|": "‖", "pm": "±",
            "mp": "∓",
            "forall": "∀", "exists": "∃", "cup": "∪", "cap": "∩", "subset": " ⊂ ", "subseteq": " ⊆ ",
            "langle": "⟨", "rangle": "⟩", "prime": "′", "\\": "; ", "{": "{", "}": "}", "%": "%", "&": "&", "_": "_",
            "#": "#"}
_BLACKBOARD = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ"}
_SIZING = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "displaystyle",
           "textstyle", "limits", "nolimits"}
_SPACES = {",", ";", ":", "!", " ", "quad", "qquad"}
_TOKEN = re.compile(r"\\([A-Za-z]+|.)|([{}^_])|(\s+)|(.)", re.DOTALL)


def readable_tex(tex: str) -> str:
    tokens = [m for m in _TOKEN.finditer(tex) if not m.group(3)]
    try:
        text, _ = _render(tokens, 0, stop_at_brace=False)
    except RecursionError:  # hundreds of nested groups: the formula as written
        return " ".join(tex.split())
    text = re.sub(r" {2,}", " ", re.sub(r"\s*=\s*", " = ", text)).strip()
    return re.sub(r"\s+([,;.)_^])|([(])\s+|(?<=\w) (?=\()", lambda m: m.group(1) or m.group(2) or "", text)


def _render(tokens: list[re.Match], i: int, stop_at_brace: bool) -> tuple[str, int]:
    """The text of tokens[i:] up to the closing brace of the group they are in (or the end); and where it stopped."""
    out = []
    while i < len(tokens):
        command, mark, char = tokens[i].group(1), tokens[i].group(2), tokens[i].group(4)
        if mark == "}":
            if stop_at_brace:
                return "".join(out), i + 1
            i += 1
            continue
        scripted = mark in ("_", "^")
        piece, i = _argument(tokens, i) if mark == "{" else _command(tokens, command, i + 1) if command else (
            _script(tokens, mark, i + 1) if scripted else (" " if char == "&" else char, i + 1))  # & aligns
        if out and out[-1].startswith(("_", "^")) and piece[:1].isalnum():
            out.append(" ")  # "max_x f(x)", not "max_xf(x)"
        out.append(piece)
    return "".join(out), i


def _argument(tokens: list[re.Match], i: int) -> tuple[str, int]:
    """One argument: a braced group, a command, or one character."""
    if i >= len(tokens):
        return "", i
    if tokens[i].group(2) == "{":
        return _render(tokens, i + 1, stop_at_brace=True)
    if tokens[i].group(1):
        return _command(tokens, tokens[i].group(1), i + 1)
    return tokens[i].group(0), i + 1


def _command(tokens: list[re.Match], name: str, i: int) -> tuple[str, int]:
    if i < len(tokens) and tokens[i].group(0) == "*":  # \operatorname*: the same, its limits placed otherwise
        i += 1
    if name in ("begin", "end"):  # an environment's name is no text: \begin{cases} … \end{cases}
        return "", _argument(tokens, i)[1]
    if name in ("binom", "dbinom", "tbinom"):
        n, i = _argument(tokens, i)
        k, i = _argument(tokens, i)
        return f"C({n}, {k})", i
    if name in ("frac", "dfrac", "tfrac", "cfrac"):
        top, i = _argument(tokens, i)
        bottom, i = _argument(tokens, i)
        return f"{_grouped(top)}/{_grouped(bottom)}", i
    if name == "sqrt":
        root, i = _argument(tokens, i)
        return f"√{_grouped(root)}", i
    if name == "mathbb":
        letter, i = _argument(tokens, i)
        return _BLACKBOARD.get(letter, letter), i
    if name.startswith(("math", "text", "operatorname", "boldsymbol")) or name in {"hat", "bar", "tilde", "vec"}:
        return _argument(tokens, i)  # the letters, not their font or accent
    if name in _SIZING:
        return "", i
    if name in _SPACES:
        return " ", i
    return _SYMBOLS.get(name, f" {name} "), i  # \log, \exp, \max: the function's name, a word apart


def _script(tokens: list[re.Match], mark: str, i: int) -> tuple[str, int]:
    """x_{i}, x^{2}: as x_i and x^2, a script of more than a word in brackets (p_(j|i))."""
    script, i = _argument(tokens, i)
    return (script if script == "′" else mark + _grouped(script.strip())), i  # x′, not x^′


def _grouped(text: str) -> str:
    return text if re.fullmatch(r"\w+|.", text) else f"({text})"
