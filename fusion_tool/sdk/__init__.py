"""The SDK front: ``wrap_openai`` gives an ``openai.OpenAI`` / ``AsyncOpenAI`` client fusion."""

from fusion_tool.sdk.wrapper import wrap_openai

__all__ = ["wrap_openai"]
