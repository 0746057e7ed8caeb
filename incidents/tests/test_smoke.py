def test_settings(settings):
    assert settings.SECRET_KEY == "tests-only-not-a-secret"
