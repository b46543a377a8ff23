"""The digits and the small convnet trained on them, shared by the inspection tests."""

from __future__ import annotations

import pytest

from tests import classifiers


@pytest.fixture(scope="session")
def digits():
    return classifiers.digits()


@pytest.fixture(scope="session")
def trained(digits):
    return classifiers.trained_convnet(digits)
