-- Keyword index of the expert list (src/store/search.rs): each expert's distinct character
-- grams of code, name, keywords and summary, keyed (gram, code) so that one key range lists the
-- experts holding a gram in list order. Derived data: experts::insert/update keep it in step
-- within their transaction; it is filled from the expert table at start whenever
-- expert_gram_version differs from the version of the Rust code that builds it (0: never built).
-- pg_trgm cannot look up the two-character queries that are typical here (土壤, 冶金).
create table expert_gram (
    gram text not null,
    code text not null,
    expert_id bigint not null,
    primary key (gram, code)
);

create table expert_gram_version (
    version bigint not null
);
insert into expert_gram_version (version) values (0);
