"""The Responses API door (``POST /v1/responses``): the same modes as Chat Completions.

Fusion reaches the calling model and the writer over the provider's Chat Completions, so a
Responses client works on any provider (llama.cpp, vLLM, Ollama...). The translation is ours,
one module per direction: ``request`` (a Responses body as a chat request, or a 400 naming
the field it cannot honour), ``output`` (the ``response`` object and its items),
``fusion_item`` (the ``openrouter:fusion`` item and its ``response.fusion_call.*`` events),
``events`` (a fused stream as typed Responses events), ``handler`` (the route: pass-through,
or alias and tool mode through ``modes.serve``).
"""
