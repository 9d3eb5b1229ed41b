package org.raddraft.inference.onnx;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.stream.StreamSupport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The committed tokenizer.json (written by training/tokenizer_build.py, not by the `tokenizers`
 * library) must load in DJL's HuggingFaceTokenizer offline and agree with the Python
 * implementation the model was trained with: same ids, same decoded text, and report text must
 * round-trip (encode -> ids -> decode -> contract post-processing equals the lower-cased text).
 */
class TokenizerRoundTripTest {

    static HuggingFaceTokenizer tokenizer;
    static JsonNode cases;

    @BeforeAll
    static void load() throws Exception {
        System.setProperty("ai.djl.offline", "true");
        Path json = ReferenceModel.modelDir().resolve("tokenizer.json");
        assertTrue(Files.isRegularFile(json), json + " missing");
        // no truncation, no padding: the drafter's reports are short and the Java side scores whole texts
        tokenizer = HuggingFaceTokenizer.newInstance(json, Map.of("addSpecialTokens", "true",
                "truncation", "false", "padding", "false"));
        cases = ReferenceModel.readJson(ReferenceModel.fixtureDir().resolve("tokenizer-cases.json"));
    }

    @AfterAll
    static void close() {
        if (tokenizer != null) tokenizer.close();
    }

    @Test
    void idsMatchTrainingTokenizerAndTextRoundTrips() {
        assertTrue(cases.get("cases").size() >= 5, "need several generator reports");
        for (JsonNode c : cases.get("cases")) {
            String text = c.get("text").asText();
            long[] expected = StreamSupport.stream(c.get("ids").spliterator(), false).mapToLong(JsonNode::asLong).toArray();
            Encoding enc = tokenizer.encode(text);
            assertArrayEquals(expected, enc.getIds(), "ids of: " + text);
            assertEquals(cases.get("bos_token_id").asLong(), enc.getIds()[0]);
            assertEquals(cases.get("eos_token_id").asLong(), enc.getIds()[enc.getIds().length - 1]);
            for (long id : enc.getIds()) assertFalse(id == cases.get("unk_token_id").asLong(), "no [UNK] in " + text);

            String decoded = tokenizer.decode(enc.getIds(), true);
            assertEquals(c.get("decoded").asText(), decoded, "decoded text (WordPiece decoder, cleanup)");
            assertEquals(text.toLowerCase(Locale.ROOT).replaceAll("\\s+", " ").trim(),
                    ReferenceModel.detokenize(decoded), "round trip of: " + text);
        }
    }

    @Test
    void unseenWordsFallBackToCharacterPiecesNotUnk() {
        long unk = cases.get("unk_token_id").asLong();
        Encoding enc = tokenizer.encode("Findings: zygomycosis with hydropneumothorax.");
        for (long id : enc.getIds()) assertFalse(id == unk);
        assertEquals("findings: zygomycosis with hydropneumothorax.",
                ReferenceModel.detokenize(tokenizer.decode(enc.getIds(), true)));
    }

    @Test
    void specialTokensAreSkippedOnDecode() {
        long bos = cases.get("bos_token_id").asLong(), eos = cases.get("eos_token_id").asLong();
        long[] ids = tokenizer.encode("IMPRESSION: No acute cardiopulmonary abnormality.").getIds();
        assertEquals(bos, ids[0]);
        assertEquals(eos, ids[ids.length - 1]);
        assertEquals("impression: no acute cardiopulmonary abnormality.",
                ReferenceModel.detokenize(tokenizer.decode(ids, true)));
    }
}
