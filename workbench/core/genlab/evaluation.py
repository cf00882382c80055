"""Score generated digits with a classifier trained on the real training split.

A confident, varied classifier verdict is the lab's stand-in for "these look like
digits, and not all the same digit"; real held-out digits give the reference."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.core.genlab.data import ImageSet

CONFIDENT = 0.9
CLASS_SHARE = 0.03


@dataclass(frozen=True)
class SampleScore:
    count: int
    confident_fraction: float  # share of images whose top class probability is above CONFIDENT
    class_fractions: tuple[float, ...]  # share of images given each label
    classes_present: int  # labels that make up at least CLASS_SHARE of the images

    def describe(self) -> str:
        spread = " ".join(f"{digit}:{share:.0%}" for digit, share in enumerate(self.class_fractions))
        return (
            f"{self.confident_fraction:.1%} confident (p>{CONFIDENT}), "
            f"{self.classes_present}/10 digits at >= {CLASS_SHARE:.0%} [{spread}]"
        )


class DigitClassifier:
    """Logistic regression on the labelled training split of an image set."""

    def __init__(self, images: ImageSet) -> None:
        from sklearn.linear_model import LogisticRegression

        if images.train_labels is None:
            raise ValueError("The classifier needs a labelled image set (the digits).")
        self.model = LogisticRegression(max_iter=3000)
        self.model.fit(images.train, images.train_labels)
        self.classes = self.model.classes_

    def probabilities(self, flat: np.ndarray) -> np.ndarray:
        return self.model.predict_proba(flat)  # (N, classes)

    def labels(self, flat: np.ndarray) -> np.ndarray:
        return self.model.predict(flat)  # (N,)

    def score(self, flat: np.ndarray) -> SampleScore:
        probabilities = self.probabilities(flat)
        labels = self.classes[probabilities.argmax(axis=1)]
        fractions = np.array([(labels == label).mean() for label in self.classes])
        return SampleScore(
            count=len(flat),
            confident_fraction=float((probabilities.max(axis=1) > CONFIDENT).mean()),
            class_fractions=tuple(float(f) for f in fractions),
            classes_present=int((fractions >= CLASS_SHARE).sum()),
        )

    def agreement(self, originals: np.ndarray, reconstructions: np.ndarray) -> float:
        """Share of images whose reconstruction gets the same label as the original."""
        return float((self.labels(originals) == self.labels(reconstructions)).mean())
