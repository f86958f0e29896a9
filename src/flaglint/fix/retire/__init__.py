"""The retire pass: one LibCST transformer composed of a mixin per concern."""

from __future__ import annotations

from flaglint.fix.retire.core import RetireCore
from flaglint.fix.retire.fold import Fold
from flaglint.fix.retire.pins import Pins
from flaglint.fix.retire.prune import Prune
from flaglint.fix.retire.substitute import _Substitute
from flaglint.fix.retire.tests import _Tests


class _Retire(_Tests, Pins, Prune, Fold, _Substitute, RetireCore):
    """Substitute retired flag references and fold what they make constant: one LibCST pass
    whose handlers live in one mixin per concern (this package's modules)."""
