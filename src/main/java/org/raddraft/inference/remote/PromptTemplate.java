package org.raddraft.inference.remote;

import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The manifest's prompt with the study's inputs filled in. {@code {{name}}} is replaced by the value;
 * {@code {{#name}}...{{/name}}} is kept only when the value is present (so a prompt says nothing of a
 * prior report the patient does not have); {@code {{^name}}...{{/name}}} only when it is absent.
 * Names: {@value #INDICATION}, {@value #PRIOR_REPORT}, {@value #PRIOR_INTERVAL}. Values are put in as
 * they are (already scrubbed); a placeholder name the template does not know is refused when loading.
 */
public final class PromptTemplate {

    public static final String INDICATION = "indication";
    public static final String PRIOR_REPORT = "prior_report";
    public static final String PRIOR_INTERVAL = "prior_interval";
    static final Set<String> NAMES = Set.of(INDICATION, PRIOR_REPORT, PRIOR_INTERVAL);

    private static final Pattern SECTION = Pattern.compile("\\{\\{([#^])(\\w+)}}(.*?)\\{\\{/\\2}}", Pattern.DOTALL);
    private static final Pattern VALUE = Pattern.compile("\\{\\{(\\w+)}}");
    private static final Pattern ANY = Pattern.compile("\\{\\{[#^/]?(\\w+)}}");

    private final String template;

    /** @throws IllegalArgumentException naming the unknown placeholder */
    public PromptTemplate(String template) {
        Matcher m = ANY.matcher(template);
        while (m.find()) {
            if (!NAMES.contains(m.group(1))) {
                throw new IllegalArgumentException("unknown placeholder {{" + m.group(1) + "}} (known: "
                        + String.join(", ", NAMES.stream().sorted().toList()) + ")");
            }
        }
        this.template = template;
    }

    /** Which inputs the template uses at all. */
    public boolean uses(String name) {
        return template.contains("{{" + name + "}}") || template.contains("{{#" + name + "}}");
    }

    /** @param values present inputs by name; a missing or blank one counts as absent */
    public String render(Map<String, String> values) {
        Matcher s = SECTION.matcher(template);
        StringBuilder out = new StringBuilder();
        while (s.find()) {
            String v = values.get(s.group(2));
            boolean present = v != null && !v.isBlank();
            boolean keep = s.group(1).equals("#") == present;
            s.appendReplacement(out, Matcher.quoteReplacement(keep ? s.group(3) : ""));
        }
        s.appendTail(out);
        Matcher v = VALUE.matcher(out.toString());
        StringBuilder filled = new StringBuilder();
        while (v.find()) {
            String val = values.get(v.group(1));
            v.appendReplacement(filled, Matcher.quoteReplacement(val == null ? "" : val));
        }
        v.appendTail(filled);
        return filled.toString().replaceAll("\n{3,}", "\n\n").strip();
    }
}
