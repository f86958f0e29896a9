"""Substitution: each reference of a retired flag becomes its value; carriers of it (dict
entries, keywords, routes, applied decorators) follow."""

from __future__ import annotations

import re

import libcst as cst

from flaglint.engine.patterns import Pattern
from flaglint.engine.scan import argument, last_name
from flaglint.fix.base import (
    _ROUTES,
    ATOMS,
    FOLDED_BUILTINS,
    _keyword,
    _literal,
    _pure,
    _quoted,
    kept_elements,
    plain_test,
    shrink,
)
from flaglint.fix.retire.core import RetireCore
from flaglint.model import FlagRef, RefKind


class _Substitute(RetireCore):
    """Substitution: each reference of a retired flag becomes its value; carriers of it (dict"""

    # -- substitution --

    def _substitute(self, original: cst.BaseExpression, updated: cst.BaseExpression) -> cst.BaseExpression:
        ref = self._ref(original)
        if ref is None or ref.kind in (RefKind.DECORATOR, RefKind.TEST_OVERRIDE, RefKind.PREDICATE):
            return updated
        pattern = self.patterns.get(ref.pattern)
        if pattern is not None and not pattern.substitutable:
            self._note(
                original, ref.key, "review", f"`{ref.pattern}` returns an object, not the flag's value: rewrite by hand"
            )
            return updated
        if any(ref.key in frame.live for frame in self.state.functions):  # nested functions too
            self._note(original, ref.key, "review", f"flag {ref.key!r} is pinned above in this test: its check stays")
            return updated
        if pattern is not None and pattern.selects:
            return self._selected(original, updated, ref, pattern)
        if ref.kind is RefKind.CHECK:
            self._changed()
            value = bool(self._value(ref))
            return self.constants.boolean(not value if pattern is not None and pattern.negated else value)
        literal = self.values[ref.key or ""]
        if literal is not None:
            self._changed()
            return self.constants.make(literal)
        if ref.default is None:
            self._note(original, ref.key, "review", f"flag {ref.key!r} is off but `{ref.pattern}` has no default here")
            return updated
        self._changed()
        default = cst.parse_expression(ref.default)
        known, answer = _literal(default)
        return self.constants.adopt(default, answer) if known else default  # the SDK returns its default

    def _selected(
        self, original: cst.BaseExpression, updated: cst.BaseExpression, ref: FlagRef, pattern: Pattern
    ) -> cst.BaseExpression:
        """A value-select helper (`value_for(K, on=A, off=B)`) answers the argument of the flag's
        value. A call that does not pass it, or whose other argument may do something when
        evaluated, is left and listed: never replaced by a boolean."""
        on = bool(self._value(ref)) != pattern.negated
        wanted, other = (pattern.when_on, pattern.when_off) if on else (pattern.when_off, pattern.when_on)
        state = "on" if on else "off"
        if not isinstance(updated, cst.Call):
            return updated
        chosen, dropped = argument(updated.args, wanted), argument(updated.args, other)
        if chosen is None:
            why = f"this call of `{pattern.name}` does not pass the argument it answers when {state}: rewrite by hand"
            self._note(original, ref.key, "review", why)
            return updated
        if dropped is not None and not plain_test(dropped):
            why = f"the argument `{pattern.name}` no longer answers may do something when evaluated: rewrite by hand"
            self._note(original, ref.key, "review", why)
            return updated
        self._changed()
        if chosen.lpar or isinstance(chosen, ATOMS):  # it stands where a call stood: it binds as tightly
            return chosen
        return chosen.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])

    def leave_Dict(self, original_node: cst.Dict, updated_node: cst.Dict) -> cst.BaseExpression:
        """Unsafe fix: an entry whose value was just the flag check (`"features": {"x": check}`)
        only carried the flag to whatever reads the dict, often a template or JavaScript.
        """
        keep = [
            self._keep_entry(element, new)
            for element, new in zip(original_node.elements, updated_node.elements, strict=True)
        ]
        return shrink(updated_node, keep)

    def _keep_entry(self, element: cst.BaseDictElement, new: cst.BaseDictElement) -> bool:
        if not isinstance(element, cst.DictElement) or not isinstance(element.key, cst.SimpleString):
            return True
        return self._keep_carrier(element, element.key.value, element.value, new)

    def _dict_keywords(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        """`dict(a=..., x=check)` is a dict display spelt as a call: its keywords are entries."""
        if not isinstance(updated.func, cst.Name) or updated.func.value != "dict" or self._rebinds("dict"):
            return updated
        keep = [
            arg.keyword is None or self._keep_carrier(arg, arg.keyword.value, arg.value, new)
            for arg, new in zip(original.args, updated.args, strict=True)
        ]
        return updated if all(keep) else updated.with_changes(args=kept_elements(updated.args, keep))

    def _keep_carrier(
        self, element: cst.DictElement | cst.Arg, label: str, value: cst.BaseExpression, new: cst.CSTNode
    ) -> bool:
        """An entry whose value was a flag check, or a local that held one (the fold made it True or
        False), carried the flag to the dict's readers; an entry computed from a check keeps its
        folded value."""
        ref = self._ref(value)
        if ref is not None:
            if ref.kind is not RefKind.CHECK:
                return True
            pattern = self.patterns.get(ref.pattern)
            if pattern is not None and (not pattern.substitutable or pattern.selects):
                return True
            flag = f"flag {ref.key!r}"
        else:
            folded = getattr(new, "value", None)
            known, constant = self.constants.get(folded) if isinstance(folded, cst.BaseExpression) else (False, None)
            if not known or not isinstance(constant, bool) or id(value) not in self.constants.inlined:
                return True
            flag = "a retired flag"
        what = f"entry {label}, which only carried {flag} to its readers"
        key = ref.key if ref is not None else None
        if self.unsafe:
            self._changed()
            self._note(element, key, "unsafe-applied", f"removed {what}; they must stop reading it")
            spelt = element.key if isinstance(element, cst.DictElement) else None
            entry = spelt.evaluated_value if isinstance(spelt, cst.SimpleString) else label
            if isinstance(entry, str):
                self.state.entries.append(entry)
            return False
        self._note(element, key, "unsafe-skipped", f"would remove {what} (--unsafe-fixes)")
        return True

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        applied = self._applied(original_node, updated_node)
        if applied is not None:
            return applied
        found = self._substitute(original_node, updated_node)
        if found is not updated_node:
            return found
        updated_node = self._dict_keywords(original_node, self._without_routes(original_node, updated_node))
        self._constant_arguments(updated_node)
        return self._fold_builtin(updated_node)

    def _applied(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression | None:
        """A flag decorator applied by a call, `D(K)(view)` (a URL conf, `method_decorator`): where
        the flag keeps the path it is just `view`; else the view refuses every request, and the
        route that serves it may go (`_without_routes`)."""
        ref = self._ref(original.func)
        if ref is None or ref.kind is not RefKind.DECORATOR:
            return None
        if len(updated.args) != 1 or updated.args[0].keyword is not None or updated.args[0].star:
            return None
        if bool(self._value(ref)):
            self._changed()
            self._displace(updated.func)
            return self._replace(updated, updated.args[0].value)
        self.state.refusing[id(original)] = ref
        return updated

    def _dead_route(self, element: cst.CSTNode) -> tuple[FlagRef, str | None] | None:
        """(flag, route name) of a Django route (`path`, `re_path`, `url`) whose view is a flag
        decorator applied to a view that now refuses every request."""
        route = getattr(element, "value", None)
        if not isinstance(route, cst.Call) or last_name(route.func) not in _ROUTES:
            return None
        views = [a.value for i, a in enumerate(route.args) if (a.keyword is None and i == 1) or _keyword(a, "view")]
        ref = self.state.refusing.get(id(views[0])) if views else None
        if ref is None:
            return None
        names = [a.value for a in route.args if _keyword(a, "name")]
        name = names[0].evaluated_value if names and isinstance(names[0], cst.SimpleString) else None
        return ref, name if isinstance(name, str) else None

    def _without_routes(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if not self.state.refusing:
            return updated
        keep = [self._keep_route(arg) for arg in original.args]
        return updated if all(keep) else updated.with_changes(args=kept_elements(updated.args, keep))

    def leave_List(self, original_node: cst.List, updated_node: cst.List) -> cst.BaseExpression:
        if not self.state.refusing:
            return updated_node
        return shrink(updated_node, [self._keep_route(e) for e in original_node.elements])

    def leave_Tuple(self, original_node: cst.Tuple, updated_node: cst.Tuple) -> cst.BaseExpression:
        if not self.state.refusing:
            return updated_node
        return shrink(updated_node, [self._keep_route(e) for e in original_node.elements])

    def _keep_route(self, element: cst.CSTNode) -> bool:
        """Unsafe fix: a route whose view refuses every request now serves nothing; it goes unless
        its name is used (`reverse`, `{% url %}`), in this module or anywhere else in the project."""
        found = self._dead_route(element)
        if found is None:
            return True
        ref, name = found
        for arg in element.value.args:  # type: ignore[attr-defined]
            self.state.refusing.pop(id(arg.value), None)
        label = f"the route {name!r}" if name else "a route"
        why = f"its view is only served while flag {ref.key!r} is on"
        own = _quoted(name, cst.Module([]).code_for_node(element)) if name is not None else 0
        if name is not None and (name in self.named or _quoted(name, self.source() if self.source else "") > own):
            self._note(element, ref.key, "review", f"{label} is kept, its name is used elsewhere: {why}")
            return True
        return not self._offer(element, ref.key, label, why)

    def _constant_arguments(self, call: cst.Call) -> None:
        """Remember the arguments of a call by name that the fold made constant."""
        name = last_name(call.func)
        if name is None:
            return
        for position, arg in enumerate(call.args):
            known, value = self.constants.get(arg.value)
            if known and not arg.star:
                where = arg.keyword.value if arg.keyword is not None else f"#{position}"
                self.state.arguments.append((name, where, repr(value)))

    def _fold_builtin(self, call: cst.Call) -> cst.BaseExpression:
        """`bool(C)`, and `all([...])` / `any([...])` over a literal list, tuple or set holding
        constants the fold made: neutral constants drop out, a decisive one decides when the other
        elements are pure. Only builtins the module never rebinds.
        """
        func = call.func
        if not isinstance(func, cst.Name) or func.value not in FOLDED_BUILTINS or len(call.args) != 1:
            return call
        arg = call.args[0]
        if arg.keyword is not None or arg.star:
            return call
        if func.value == "bool":
            known, value = self.constants.get(arg.value)
            if not known or self._rebinds("bool"):
                return call
            return self._replace(call, self.constants.boolean(bool(value)))
        items = arg.value
        if not isinstance(items, (cst.List, cst.Tuple, cst.Set)) or any(
            isinstance(e, cst.StarredElement) for e in items.elements
        ):
            return call
        answers = [self.constants.get(e.value) for e in items.elements]
        if not any(k for k, _ in answers) or self._rebinds(func.value):
            return call
        is_all = func.value == "all"
        if any(k and bool(v) != is_all for k, v in answers):  # a False in all(), a True in any()
            others = [e.value for e, (k, _) in zip(items.elements, answers, strict=True) if not k]
            if all(_pure(o) for o in others):
                return self._replace(call, self.constants.boolean(not is_all))
            return call
        keep = [not k for k, _ in answers]
        if not any(keep):
            return self._replace(call, self.constants.boolean(is_all))
        return call.with_changes(args=[arg.with_changes(value=shrink(items, keep))])

    def _rebinds(self, name: str) -> bool:
        """Whether the module binds `name` anywhere (then it may not be the builtin)."""
        if self.source is None:
            return True
        word = re.escape(name)
        binding = (
            rf"\b(?:def|class|as|import|for|lambda|global|nonlocal)\s+{word}\b"
            rf"|[(,]\s*\*{{0,2}}{word}\s*[,)=:]|^\s*{word}\s*[:=](?!=)|\b{word}\s*:="
        )
        return re.search(binding, self.source(), re.M) is not None

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        return self._substitute(original_node, updated_node)

    def leave_Subscript(self, original_node: cst.Subscript, updated_node: cst.Subscript) -> cst.BaseExpression:
        return self._substitute(original_node, updated_node)
