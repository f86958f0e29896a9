"""The retire pass: one LibCST transformer composed of a mixin per concern."""

from __future__ import annotations

from flaglint.fix.retire.core import _RetireCore
from flaglint.fix.retire.fold import _Fold
from flaglint.fix.retire.pins import _Pins
from flaglint.fix.retire.prune import _Prune
from flaglint.fix.retire.substitute import _Substitute
from flaglint.fix.retire.tests import _Tests


class _Retire(_Tests, _Pins, _Prune, _Fold, _Substitute, _RetireCore):
    """Substitute retired flag references and fold what they make constant: one LibCST pass
    whose handlers live in one mixin per concern (this package's modules)."""
