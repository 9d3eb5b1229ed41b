package org.raddraft.inference;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;

/**
 * What {@code generation_config.json} says (Hugging Face names).
 *
 * @param decoderStartTokenId first decoder input ({@code decoder_start_token_id}, else {@code bos_token_id})
 * @param eosTokenId          generation stops after this token
 * @param padTokenId          fed to rows of a batch that already finished
 * @param maxLength           longest sequence, counting the start token (HF semantics)
 * @param numBeams            1 = greedy
 * @param lengthPenalty       beam hypotheses are ranked by sum(log p) / length^lengthPenalty (HF default 1.0)
 */
public record GenerationConfig(int decoderStartTokenId, int eosTokenId, int padTokenId, int maxLength, int numBeams,
                               double lengthPenalty) {

    static GenerationConfig of(Path dir, JsonNode g) throws InferenceException {
        String f = ModelDirectory.GENERATION_CONFIG;
        int bos = g.has("decoder_start_token_id") ? g.get("decoder_start_token_id").asInt()
                : ModelDirectory.positiveInt(dir, f, g, "bos_token_id", "bos_token_id");
        if (!g.has("eos_token_id") || !g.get("eos_token_id").canConvertToInt()) {
            throw ModelDirectory.problem(dir, f + ": field 'eos_token_id' is missing (expected a token id)");
        }
        int eos = g.get("eos_token_id").asInt();
        int pad = g.path("pad_token_id").asInt(0);
        int maxLength = ModelDirectory.positiveInt(dir, f, g, "max_length", "max_length");
        if (maxLength < 2) {
            throw ModelDirectory.problem(dir, f + ": max_length " + maxLength + " leaves no room to generate (expected >= 2)");
        }
        int beams = g.path("num_beams").asInt(1);
        return new GenerationConfig(bos, eos, pad, maxLength, Math.max(1, beams), g.path("length_penalty").asDouble(1.0));
    }
}
