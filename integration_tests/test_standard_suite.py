"""The CDK's standard source tests (spec, check, discover, read, bad catalog, no secret in output).

Scenarios come from acceptance-test-config.yml; its configs are written into secrets/ by the
session fixture `standard_suite_configs`, pointing at the session's Braze sandbox. The tests run
in-process on `SourceBrazeCampaigns`, the class the console script launches. The suite's Docker
image tests are deselected in conftest.py (they need a Docker daemon).
"""

from __future__ import annotations

import pytest
from airbyte_cdk.test.models import ConnectorTestScenario
from airbyte_cdk.test.standard_tests import SourceTestSuiteBase

from source_braze_campaigns.source import SourceBrazeCampaigns

pytestmark = pytest.mark.usefixtures("standard_suite_configs")


class TestSourceBrazeCampaignsStandards(SourceTestSuiteBase):
    """Airbyte's standard tests, against the Braze sandbox."""

    connector = SourceBrazeCampaigns

    @classmethod
    def create_connector(cls, scenario: ConnectorTestScenario | None) -> SourceBrazeCampaigns:
        # A declarative source reads with the config it was built with, not the one on the
        # command line: build it with the scenario's config, as the console script does.
        config = (scenario or ConnectorTestScenario()).get_config_dict(
            connector_root=cls.get_connector_root_dir(), empty_if_missing=True
        )
        return SourceBrazeCampaigns(config=config)
