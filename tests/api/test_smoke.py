def test_helsinki_is_found_once_registered(client, api_headers, add_org):
    add_org("0201256-6", "Helsinki", source="municipality")
    response = client.get("/api/v1/organizations/FI02012566", headers=api_headers)
    assert response.status_code == 200
    assert response.json["business_id"] == "0201256-6"
    assert response.json["source"] == "municipality"
