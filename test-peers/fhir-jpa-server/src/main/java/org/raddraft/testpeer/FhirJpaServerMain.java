package org.raddraft.testpeer;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.config.ThreadPoolFactoryConfig;
import ca.uhn.fhir.jpa.batch2.JpaBatch2Config;
import ca.uhn.fhir.jpa.binary.api.IBinaryStorageSvc;
import ca.uhn.fhir.jpa.binstore.MemoryBinaryStorageSvcImpl;
import ca.uhn.fhir.jpa.config.HapiJpaConfig;
import ca.uhn.fhir.jpa.config.r4.JpaR4Config;
import ca.uhn.fhir.jpa.config.util.HapiEntityManagerFactoryUtil;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.model.config.SubscriptionSettings;
import ca.uhn.fhir.jpa.model.dialect.HapiFhirH2Dialect;
import ca.uhn.fhir.jpa.provider.JpaSystemProvider;
import ca.uhn.fhir.jpa.search.DatabaseBackedPagingProvider;
import ca.uhn.fhir.jpa.search.IStaleSearchDeletingSvc;
import ca.uhn.fhir.jpa.search.StaleSearchDeletingSvcImpl;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.exceptions.AuthenticationException;
import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import ca.uhn.fhir.rest.server.provider.ResourceProviderFactory;
import jakarta.persistence.EntityManagerFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import javax.sql.DataSource;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.h2.jdbcx.JdbcConnectionPool;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Identifier;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;
import org.springframework.transaction.annotation.EnableTransactionManagement;

/**
 * A real HAPI FHIR JPA server (R4, H2 file database) for RadDraft's delivery tests:
 * {@code java ... FhirJpaServerMain PORT DBDIR [BEARER_TOKEN] [REFUSED_ACCESSION]}.
 * Prints "FHIR JPA server ready on PORT" once it answers. With a token, every request must carry
 * {@code Authorization: Bearer TOKEN} (else 401). Each transaction POST is appended to DBDIR/requests.log
 * (one line: the accession identifiers it carries), so tests count attempts.
 */
public final class FhirJpaServerMain {

    @Configuration
    @EnableTransactionManagement
    @Import({JpaR4Config.class, HapiJpaConfig.class, JpaBatch2Config.class, ThreadPoolFactoryConfig.class,
        ca.uhn.fhir.jpa.subscription.channel.config.SubscriptionChannelConfig.class,
        ca.uhn.fhir.batch2.jobs.config.Batch2JobsConfig.class})
    public static class Config {

        static String jdbcUrl;

        @Bean
        public JpaStorageSettings storageSettings() {
            JpaStorageSettings s = new JpaStorageSettings();
            s.setAllowExternalReferences(true);
            return s;
        }

        @Bean
        public PartitionSettings partitionSettings() {
            return new PartitionSettings();
        }

        @Bean
        public SubscriptionSettings subscriptionSettings() {
            return new SubscriptionSettings();
        }

        @Bean
        public DataSource dataSource() {
            return JdbcConnectionPool.create(jdbcUrl, "sa", "");
        }

        @Bean
        @Primary
        public LocalContainerEntityManagerFactoryBean entityManagerFactory(ConfigurableListableBeanFactory bf,
                FhirContext ctx, JpaStorageSettings settings) {
            LocalContainerEntityManagerFactoryBean emf = HapiEntityManagerFactoryUtil.newEntityManagerFactory(bf, ctx, settings);
            emf.setPersistenceUnitName("HAPI_PU");
            emf.setDataSource(dataSource());
            Properties p = new Properties();
            p.put("hibernate.dialect", HapiFhirH2Dialect.class.getName());
            p.put("hibernate.hbm2ddl.auto", "update");
            p.put("hibernate.search.enabled", "false");
            emf.setJpaProperties(p);
            return emf;
        }

        @Bean
        @Primary
        public JpaTransactionManager transactionManager(EntityManagerFactory emf) {
            return new JpaTransactionManager(emf);
        }

        @Bean
        public DatabaseBackedPagingProvider databaseBackedPagingProvider() {
            return new DatabaseBackedPagingProvider();
        }

        @Bean
        public IStaleSearchDeletingSvc staleSearchDeletingSvc() {
            return new StaleSearchDeletingSvcImpl();
        }

        @Bean
        public IBinaryStorageSvc binaryStorageSvc() {
            return new MemoryBinaryStorageSvcImpl();
        }
    }

    /** Bearer auth, the request log and the one fault no stock server has a rule for. */
    @Interceptor
    public static final class TestHooks {
        private final String token;
        private final String refusedAccession;
        private final Path requestLog;

        TestHooks(String token, String refusedAccession, Path requestLog) {
            this.token = token;
            this.refusedAccession = refusedAccession;
            this.requestLog = requestLog;
        }

        @Hook(Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED)
        public void check(RequestDetails request) throws Exception {
            if (token != null && !("Bearer " + token).equals(request.getHeader("Authorization"))) {
                throw new AuthenticationException("a bearer token is required");
            }
            if (request.getResource() instanceof Bundle b && b.getType() == Bundle.BundleType.TRANSACTION) {
                StringBuilder accessions = new StringBuilder();
                for (Bundle.BundleEntryComponent e : b.getEntry()) {
                    if (e.getResource() instanceof DiagnosticReport dr) {
                        for (Identifier id : dr.getIdentifier()) {
                            if (id.getType().hasCoding("http://terminology.hl7.org/CodeSystem/v2-0203", "ACSN")) {
                                accessions.append(id.getValue()).append(' ');
                            }
                        }
                    }
                }
                synchronized (this) {
                    Files.writeString(requestLog, accessions.toString().strip() + "\n",
                            java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
                }
                // A FAKE FAULT (the stock JPA server has no business rule that refuses a report): a server
                // whose own validation refuses this accession, answering 422 with an OperationOutcome.
                if (refusedAccession != null && accessions.toString().contains(refusedAccession)) {
                    throw new UnprocessableEntityException("report for accession " + refusedAccession
                            + " refused by this server's validation rules");
                }
            }
        }
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        Path dir = Files.createDirectories(Path.of(args[1]));
        String token = args.length > 2 && !args[2].isEmpty() ? args[2] : null;
        String refused = args.length > 3 && !args[3].isEmpty() ? args[3] : null;
        Config.jdbcUrl = "jdbc:h2:file:" + dir.resolve("fhir").toAbsolutePath();
        AnnotationConfigApplicationContext spring = new AnnotationConfigApplicationContext(Config.class);
        FhirContext ctx = spring.getBean(FhirContext.class);
        RestfulServer fhir = new RestfulServer(ctx);
        fhir.registerProviders(spring.getBean(ResourceProviderFactory.class).createProviders());
        fhir.registerProvider(spring.getBean(JpaSystemProvider.class));
        fhir.setPagingProvider(spring.getBean(DatabaseBackedPagingProvider.class));
        fhir.registerInterceptor(new TestHooks(token, refused, dir.resolve("requests.log")));

        Server jetty = new Server(port);
        ServletContextHandler context = new ServletContextHandler();
        context.addServlet(new ServletHolder(fhir), "/fhir/*");
        jetty.setHandler(context);
        jetty.start();
        System.out.println("FHIR JPA server ready on " + port);
        jetty.join();
    }
}
