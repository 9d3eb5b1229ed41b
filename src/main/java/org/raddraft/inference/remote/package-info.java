/**
 * The remote drafting backend: a vision-language model (MedGemma-4B, Qwen2.5-VL, ...) served by an
 * engine that speaks the OpenAI chat-completions API with images (vLLM, TGI, Ollama, llama.cpp
 * server, NIM); docs/remote-inference.md. {@link org.raddraft.inference.remote.RemoteModel} reads the
 * model directory's manifest ({@code "backend": "openai-chat"}), {@code PromptTemplate} renders the
 * prompt, {@code Scrubber} takes identifiers out of the free-text inputs, {@code PriorReports} finds
 * the patient's earlier approved report, {@code EndpointPool} holds the endpoints with their circuit
 * breakers and slots, {@code ChatCompletion} the request and answer shapes, and
 * {@link org.raddraft.inference.remote.RemoteDrafter} is the {@link org.raddraft.inference.Drafter}.
 *
 * <p>Only the pixels and the rendered prompt leave the machine: never a DICOM header value (the
 * scrubbed indication aside), never an identifier, never a file name. Never logs a prompt, an answer
 * or an engine's error message (they can carry patient text): endpoints, statuses and error types only.
 */
package org.raddraft.inference.remote;
