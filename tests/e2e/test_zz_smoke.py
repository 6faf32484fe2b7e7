import pytest
from google import genai
from google.genai import types
from tests.relay.relay_seed import make_channel, make_key, relay_env, flush, consume_logs

@pytest.mark.parametrize("kind", ["openai", "anthropic", "gemini"])
def test_smoke(sqlite_storage, kind):
    with relay_env() as env:
        t = {"openai": (1, "gpt-4o"), "anthropic": (14, "claude-3-5-sonnet-20241022"), "gemini": (24, "gemini-2.0-flash")}[kind]
        make_channel(env.fake.url, "gemini-2.0-flash,text-embedding-004", type_=t[0], model_mapping={"gemini-2.0-flash": t[1]})
        user, token, key = make_key()
        c = genai.Client(api_key=key, http_options=types.HttpOptions(base_url=env.url, api_version="v1beta"))
        tool = types.Tool(function_declarations=[types.FunctionDeclaration(name="get_weather", description="w", parameters={"type":"object","properties":{"city":{"type":"string"}}})])
        r = c.models.generate_content(model="gemini-2.0-flash", contents="hi", config=types.GenerateContentConfig(system_instruction="be nice", tools=[tool]))
        print(kind, r.candidates[0].content, r.usage_metadata)
        print(env.fake.last.path, env.fake.last.json)
        for ch in c.models.generate_content_stream(model="gemini-2.0-flash", contents="hi"):
            print(kind, ch.text, ch.usage_metadata)
        print(c.models.count_tokens(model="gemini-2.0-flash", contents="hi"))
        try:
            print(c.models.embed_content(model="text-embedding-004", contents=["a", "b"]))
        except Exception as e:
            print("EMBED", repr(e))
        print(list(c.models.list()))
        try:
            genai.Client(api_key="bad", http_options=types.HttpOptions(base_url=env.url, api_version="v1beta")).models.generate_content(model="gemini-2.0-flash", contents="hi")
        except Exception as e:
            print(type(e), repr(e))
        flush()
        for r in consume_logs(user.id): print(r.model_name, r.quota, r.prompt_tokens, r.completion_tokens, r.is_stream)
