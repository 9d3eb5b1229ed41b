package org.raddraft.dicom;

import com.pixelmed.network.PresentationContext;
import com.pixelmed.network.PresentationContextSelectionPolicy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Accepts a presentation context when its abstract syntax is an {@link AcceptedSopClass} and one of
 * its proposed transfer syntaxes is an {@link AcceptedTransferSyntax} (the most preferred wins).
 * Result/reason codes are those of PS3.8 Table 9-18: 3 abstract-syntax-not-supported,
 * 4 transfer-syntaxes-not-supported. One instance per association: it remembers what it accepted,
 * for {@link #acceptedTransferSyntax}.
 */
final class PresentationContextPolicy implements PresentationContextSelectionPolicy {

    static final byte ACCEPTANCE = 0;
    static final byte ABSTRACT_SYNTAX_NOT_SUPPORTED = 3;
    static final byte TRANSFER_SYNTAXES_NOT_SUPPORTED = 4;

    private final Map<Integer, String> accepted = new HashMap<>();

    /** The transfer syntax of the accepted presentation context with this ID, or null. */
    String acceptedTransferSyntax(int presentationContextId) {
        return accepted.get(presentationContextId);
    }

    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    public LinkedList applyPresentationContextSelectionPolicy(LinkedList presentationContexts, int associationNumber) {
        for (Object o : presentationContexts) {
            PresentationContext pc = (PresentationContext) o;
            List<String> proposed = new ArrayList<>();
            for (Object ts : pc.getTransferSyntaxUIDs()) {
                if (ts != null) {
                    proposed.add(ts.toString().trim());
                }
            }
            pc.newTransferSyntaxUIDs();
            String abstractSyntax = pc.getAbstractSyntaxUID();
            if (abstractSyntax == null || AcceptedSopClass.of(abstractSyntax.trim()).isEmpty()) {
                pc.setResultReason(ABSTRACT_SYNTAX_NOT_SUPPORTED);
                continue;
            }
            Optional<AcceptedTransferSyntax> chosen = AcceptedTransferSyntax.choose(proposed);
            if (chosen.isPresent()) {
                pc.addTransferSyntaxUID(chosen.get().uid());
                pc.setResultReason(ACCEPTANCE);
                accepted.put(pc.getIdentifier() & 0xff, chosen.get().uid());
            } else {
                pc.setResultReason(TRANSFER_SYNTAXES_NOT_SUPPORTED);
            }
        }
        return presentationContexts;
    }

    @Override
    @SuppressWarnings("rawtypes")
    public LinkedList applyPresentationContextSelectionPolicy(LinkedList presentationContexts, int associationNumber,
                                                              int debugLevel) {
        return applyPresentationContextSelectionPolicy(presentationContexts, associationNumber);
    }
}
