package org.raddraft.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.SingleValidationMessage;
import ca.uhn.fhir.validation.ValidationResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.PrePopulatedValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Resource;

/**
 * HAPI's instance validator with the R4 core definitions (offline) and RadDraft's profile, extensions
 * and code systems from docs/fhir/ (packaged as {@code fhir/} on the classpath, rewritten to the
 * configured canonical base). Its first validation loads the definitions (~10 s): {@link #warmUp}
 * does that at start-up, and {@link #warm()} says when it is done. Thread-safe.
 */
final class ResourceValidator {

    /** The files of docs/fhir/, loaded into the validator. */
    static final List<String> PUBLISHED = List.of("StructureDefinition-raddraft-diagnosticreport.json",
            "StructureDefinition-confidence-flag.json", "StructureDefinition-flag-unavailable.json",
            "StructureDefinition-risk-score.json",
            "StructureDefinition-worklist-priority.json", "StructureDefinition-model-probability.json",
            "StructureDefinition-superseded-by.json", "StructureDefinition-supersedes.json",
            "CodeSystem-observation.json", "CodeSystem-finding-status.json", "CodeSystem-flag-code.json",
            "CodeSystem-v3-ObservationValue-AIAST.json");

    private final FhirValidator validator;
    private final Counter failures = Metrics.counter("raddraft.fhir.validation.failures");
    private volatile boolean warm;
    private volatile boolean warming;
    private final java.util.concurrent.CountDownLatch warmed = new java.util.concurrent.CountDownLatch(1);

    ResourceValidator(FhirContext ctx, Canonical canonical) {
        PrePopulatedValidationSupport raddraft = new PrePopulatedValidationSupport(ctx);
        for (IBaseResource r : published(ctx, canonical)) {
            raddraft.addResource(r);
        }
        ValidationSupportChain chain = new ValidationSupportChain(raddraft, new DefaultProfileValidationSupport(ctx),
                new CommonCodeSystemsTerminologyService(ctx), new InMemoryTerminologyServerValidationSupport(ctx),
                new SnapshotGeneratingValidationSupport(ctx));
        validator = ctx.newValidator().registerValidatorModule(new FhirInstanceValidator(chain));
    }

    /** RadDraft's conformance resources as published in docs/fhir/, under the configured canonical base. */
    static List<IBaseResource> published(FhirContext ctx, Canonical canonical) {
        List<IBaseResource> all = new ArrayList<>();
        for (String name : PUBLISHED) {
            try (InputStream in = ResourceValidator.class.getResourceAsStream("/fhir/" + name)) {
                if (in == null) {
                    throw new IllegalStateException("missing /fhir/" + name + " on the classpath (docs/fhir/)");
                }
                String json = new String(in.readAllBytes(), StandardCharsets.UTF_8)
                        .replace(Canonical.DEFAULT_BASE + "/", canonical.base() + "/");
                all.add(ctx.newJsonParser().parseResource(json));
            } catch (IOException e) {
                throw new IllegalStateException("cannot read /fhir/" + name + ": " + e.getMessage(), e);
            }
        }
        return all;
    }

    /**
     * Validation errors of these resources (location: message), empty when all are valid. While the
     * warm-up runs, waits for it rather than loading the definitions a second time in parallel.
     */
    List<String> errors(List<? extends Resource> resources) {
        if (warming) {
            try {
                warmed.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the FHIR validator warms up", e);
            }
        }
        return validate(resources);
    }

    private List<String> validate(List<? extends Resource> resources) {
        List<String> errors = new ArrayList<>();
        for (Resource r : resources) {
            ValidationResult result = validator.validateWithResult(r);
            for (SingleValidationMessage m : result.getMessages()) {
                if (m.getSeverity() == ResultSeverityEnum.ERROR || m.getSeverity() == ResultSeverityEnum.FATAL) {
                    errors.add(r.fhirType() + "/" + r.getIdElement().getIdPart() + " " + m.getLocationString() + ": "
                            + m.getMessage());
                }
            }
        }
        if (!errors.isEmpty()) {
            failures.increment();
        }
        return errors;
    }

    /** Loads the definitions by validating these resources once; then {@link #warm()} is true. */
    void warmUp(List<? extends Resource> sample) {
        warming = true;
        try {
            List<String> errors = validate(sample);
            if (!errors.isEmpty()) {
                throw new IllegalStateException("the example draft is not valid FHIR: " + errors);
            }
            warm = true;
        } finally {
            warming = false;
            warmed.countDown();
        }
    }

    /** From now on validations wait for the warm-up that is about to start. */
    void warming() {
        warming = true;
    }

    boolean warm() {
        return warm;
    }
}
