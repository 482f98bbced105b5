import pytest


@pytest.mark.django_db
def test_unknown_api_path_answers_json_404(client):
    response = client.get("/api/v1/products/not-a-number/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "not_found", "message": "未找到。", "fields": {}}


@pytest.mark.django_db
def test_unknown_page_answers_friendly_html_404(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "没有找到这个页面" in response.content.decode()
