from __future__ import annotations

from fastapi.testclient import TestClient


def test_root_answers_heats_versions_document(client: TestClient) -> None:
    answer = client.get("/", headers={"Accept": "application/json"})
    assert answer.status_code == 300
    assert answer.json() == {
        "versions": [
            {
                "id": "v1.0",
                "status": "CURRENT",
                "links": [{"rel": "self", "href": "http://127.0.0.1:8004/v1/"}],
            }
        ]
    }


def test_healthcheck(client: TestClient) -> None:
    answer = client.get("/healthcheck")
    assert (answer.status_code, answer.text) == (200, "OK")
