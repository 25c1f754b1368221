"""Resolving `{{ ... }}` references at step time: parameters, variables, step
outputs and vault credentials (fetched on first use, then kept for the run)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from igtk_tui.engine.context import StepFailure
from igtk_tui.playbook import refs
from igtk_tui.playbook.model import ParamType

if TYPE_CHECKING:
    from igtk_tui.engine.frame import Frame


class Credentials:
    """The credentials one execution reads. The vault is asked once per name, in a
    thread (it may do file I/O or talk to a keyring); secrets stay in memory only."""

    def __init__(self, provider: Any) -> None:
        self.provider = provider
        self.cache: dict[str, Any] = {}
        self.used: list[str] = []

    async def get(self, name: str) -> Any:
        cred = self.cache.get(name)
        if cred is not None:
            return cred
        if self.provider is None:
            raise StepFailure(f"credential {name!r} is needed but no vault is open")
        cred = await asyncio.to_thread(self.provider.get, name)
        self.cache[name] = cred
        if name not in self.used:
            self.used.append(name)
        return cred

    async def prefetch(self, frame: Frame, raw: Any) -> None:
        """Load every credential `raw` references, so resolution itself stays synchronous."""
        names = set()
        for ref in refs.iter_refs(raw):
            if ref.root == "credential" and ref.rest:
                names.add(ref.rest[0])
            elif ref.root == "parameter" and ref.rest:
                param = frame.playbook.parameter(ref.rest[0])
                if param and param.type == ParamType.CREDENTIAL and frame.params.get(param.name):
                    names.add(str(frame.params[param.name]))
        for name in names:
            await self.get(name)

    def loaded(self, name: str, ref: refs.Ref) -> Any:
        cred = self.cache.get(name)
        if cred is None:
            raise refs.UnresolvedReference(f"{ref.text}: credential {name!r} is not loaded")
        return cred


def lookup_for(frame: Frame, creds: Credentials) -> refs.Lookup:
    """The lookup function `refs.resolve` and `when:` use inside one frame."""

    def lookup(ref: refs.Ref) -> Any:
        root, rest = ref.root, ref.rest
        if not rest:
            raise refs.UnresolvedReference(f"{ref.text} names no value")
        if root == "parameter":
            name = rest[0]
            if name not in frame.params:
                raise refs.UnresolvedReference(f"{ref.text}: no parameter {name!r}")
            value = frame.params[name]
            param = frame.playbook.parameter(name)
            if isinstance(value, str) and refs.has_refs(value):
                value = refs.resolve(value, lookup)
            if param and param.type == ParamType.CREDENTIAL and len(rest) > 1:
                value = creds.loaded(str(value), ref)
            return refs.dig(value, rest[1:], f"parameter.{name}")
        if root == "variable":
            return refs.dig(frame.variables, rest, "variable")
        if root == "credential":
            cred = creds.loaded(rest[0], ref)
            return refs.dig(cred, rest[1:], f"credential.{rest[0]}")
        if root == "step":
            step_id = rest[0]
            if step_id not in frame.outputs:
                status = frame.statuses.get(step_id)
                why = f"it is {status.value}" if status else "it has not run yet"
                raise refs.UnresolvedReference(f"{ref.text}: step {step_id!r} has no output ({why})")
            return refs.dig(frame.outputs[step_id], rest[1:], f"step.{step_id}")
        raise refs.UnresolvedReference(f"{ref.text}: unknown reference root {root!r}")

    return lookup
