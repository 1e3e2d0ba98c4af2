"""Braze's request budgets (manifest `api_budget`), counted without keeping the requests.

The CDK's MovingWindowCallRatePolicy hands each request itself to pyrate-limiter, whose bucket
keeps every call of the window: a minute of data_series calls, an hour of list and details
calls, each a PreparedRequest with its headers and cookie jar. A sync of 10,000 campaigns kept
10,000 of them, 24.6 MiB of its peak (docs/reliability.md): memory that grows with campaigns. This policy
matches on the request and gives the bucket a placeholder to count; the windows, limits and
waits are the CDK's. Installed through the factory's model-to-constructor table, the one place
the CDK builds the manifest's policies.
"""

from __future__ import annotations

from typing import Any

from airbyte_cdk.sources.declarative.models import MovingWindowCallRatePolicy as MovingWindowCallRatePolicyModel
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.sources.streams.call_rate import MovingWindowCallRatePolicy


class _Call:
    """What the bucket keeps of a call that matched: nothing."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "a Braze API call"


CALL = _Call()


class CountingMovingWindowCallRatePolicy(MovingWindowCallRatePolicy):
    """The CDK's moving window, fed a placeholder instead of the request."""

    def matches(self, request: Any) -> bool:
        return request is CALL or super().matches(request)

    def try_acquire(self, request: Any, weight: int) -> None:
        if not self.matches(request):
            raise ValueError("Request does not match the policy")
        super().try_acquire(CALL, weight)


def install(factory: ModelToComponentFactory) -> None:
    """Build the manifest's MovingWindowCallRatePolicy entries as CountingMovingWindowCallRatePolicy."""
    table = factory.PYDANTIC_MODEL_TO_CONSTRUCTOR
    build_cdk_policy = table[MovingWindowCallRatePolicyModel]

    def build(model: MovingWindowCallRatePolicyModel, config: Any, **kwargs: Any) -> MovingWindowCallRatePolicy:
        policy = build_cdk_policy(model, config, **kwargs)
        policy.__class__ = CountingMovingWindowCallRatePolicy  # same state, the two methods above
        return policy

    table[MovingWindowCallRatePolicyModel] = build  # type: ignore[index]
