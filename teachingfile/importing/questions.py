"""Questions of a write-up: numbered ones with "Answer N:", lettered choices with
"Answer: X" and a rationale per choice, and a bare answer that names the diagnosis."""

from __future__ import annotations

from teachingfile.importing.parsed import ParsedCase, ParsedQuestion, State
from teachingfile.importing.patterns import CHOICE, QUESTION, plain_text, shorten


def numbered_questions(chunks: list[str], state: State, parsed: ParsedCase) -> None:
    number = 0
    for chunk in chunks:
        for line in chunk.split("\n"):
            line = line.strip()
            if not line:
                continue
            match = QUESTION.match(line)
            if match:
                number = int(match.group(1) or match.group(2))
                parsed.questions.append(
                    ParsedQuestion(number=number, prompt=plain_text(match.group(3)))
                )
            elif line.startswith(("-", "*")) or not parsed.questions:
                number += 1
                parsed.questions.append(ParsedQuestion(number=number, prompt=plain_text(line[1:])))
            else:
                parsed.questions[-1].prompt += " " + plain_text(line)
    for question in parsed.questions:
        answer = state.answers.pop(question.number, None)
        if answer:
            question.explanation = "\n\n".join(plain_text(a) for a in answer if a.strip())
    for number, answer in sorted(state.answers.items()):
        parsed.unplaced.append(f"answer {number} has no question: {shorten(' '.join(answer), 120)}")
    if parsed.questions:
        parsed.placed.append(
            f"questions: {len(parsed.questions)}, "
            f"{sum(1 for q in parsed.questions if q.explanation)} with their answer"
        )


def choice_questions(state: State, parsed: ParsedCase, rationale: list[str]) -> None:
    """Add the lettered-choice questions, with the rationale text after their answer."""
    if not state.choice_questions:
        if rationale:
            # Explanations without a question of choices explain the last question asked.
            text = "\n\n".join(rationale)
            if parsed.questions:
                last = parsed.questions[-1]
                last.explanation = f"{last.explanation}\n\n{text}".strip()
            else:
                parsed.fields["discussion"] = f"{text}\n\n{parsed.text('discussion')}".strip()
        return
    question = state.choice_questions[-1]
    current = None
    general: list[str] = []
    for chunk in rationale:
        for line in chunk.split("\n"):
            match = CHOICE.match(line.strip())
            index = "abcdefghij".find(match.group("letter").lower()) if match else -1
            if match and 0 <= index < len(question.choices):
                current = question.choices[index]
                current.rationale = plain_text(match.group("text"))
            elif current is not None and line.strip():
                current.rationale += " " + plain_text(line)
            elif line.strip():
                general.append(plain_text(line))
        current = None  # a blank line ends a choice's rationale
    if general:
        question.explanation = "\n\n".join(filter(None, [question.explanation, *general]))
    start = len(parsed.questions)
    for offset, item in enumerate(state.choice_questions, start=1):
        item.number = start + offset
        parsed.questions.append(item)
        correct = [c for c in item.choices if c.correct]
        parsed.placed.append(
            f"question {item.number}: {len(item.choices)} lettered choices, "
            + (f"answer {correct[0].text!r}" if correct else "no answer marked")
            + f", {sum(1 for c in item.choices if c.rationale)} rationale(s)"
        )
        if not correct:
            parsed.notes.append(f"question {item.number}: mark the correct choice")
    if not parsed.text("diagnosis") and "diagnos" in question.prompt.lower():
        correct = [c for c in question.choices if c.correct]
        if correct:
            parsed.fields["diagnosis"] = correct[0].text[:300]
            parsed.placed.append("diagnosis: the correct choice of the diagnosis question")


def bare_answer(chunks: list[str], parsed: ParsedCase) -> None:
    """An "Answer" section with no question number: the diagnosis, then what explains it."""
    if not chunks:
        return
    text = "\n\n".join(chunk.strip() for chunk in chunks if chunk.strip())
    unanswered = [q for q in parsed.questions if not q.explanation and q.kind == "free_text"]
    if len(parsed.questions) == 1 and unanswered:
        unanswered[0].explanation = text
        parsed.placed.append("answer: the explanation of the only question")
        return
    first, _, rest = text.partition("\n")
    if not parsed.text("diagnosis") and len(first) <= 150:
        parsed.fields["diagnosis"] = plain_text(first).rstrip(".")[:300]
        parsed.placed.append("diagnosis: the first line of the answer")
        text = rest.strip()
    if text:
        parsed.fields["discussion"] = f"{text}\n\n{parsed.text('discussion')}".strip()
        parsed.placed.append("discussion: opened by the rest of the answer")


def default_question(parsed: ParsedCase) -> None:
    diagnosis = parsed.text("diagnosis")
    # Questions of choices are answered by their correct choice, not by typed answers.
    asks_diagnosis = [
        q for q in parsed.questions if "diagnos" in q.prompt.lower() and not q.choices
    ]
    for question in asks_diagnosis:
        if diagnosis and diagnosis not in question.accepted:
            question.accepted.append(diagnosis)
    if not parsed.questions and diagnosis:
        parsed.questions.append(
            ParsedQuestion(number=1, prompt="What is your diagnosis?", accepted=[diagnosis])
        )
        parsed.notes.append("added the question 'What is your diagnosis?' (none in the text)")
    for question in parsed.questions:
        if not question.accepted and not question.choices:
            parsed.notes.append(f"question {question.number}: add accepted answers or choices")
