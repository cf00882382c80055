"""The real packaged model, loaded once for every integration test."""

import pytest


@pytest.fixture(scope="session")
def smollm2():
    from workbench.core.loading import load_model_blocking

    return load_model_blocking("smollm2-135m-instruct")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)
