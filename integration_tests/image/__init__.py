"""The image test's scripts (build-base.sh, build-image.sh, run-image.sh, install-tools.sh) and
the commands the docs give users (`documented`)."""
