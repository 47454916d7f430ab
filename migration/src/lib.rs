//! Database migrations. One file per migration; a migration never changes after it ships.
pub use sea_orm_migration::prelude::*;

mod m20261130_000001_foundation;
mod m20261130_000002_requests;
mod m20261130_000003_tracking;
mod m20261130_000004_bank_statements;
mod m20261130_000005_mini_programs;
mod m20261130_000006_list_indexes;
mod m20261130_000007_approval_chain;
mod m20261205_000001_resolution;
mod m20261205_000002_statement_format;
mod m20261205_000020_figures_indexes;
mod m20261206_000010_sso;
mod m20261206_000015_people;
mod m20261206_000020_shared_state;
mod m20261206_000030_search_index;
mod m20261206_000031_request_counts;
mod m20261206_000032_sort_indexes;
mod m20261206_000033_search_without_pending_list;
mod m20261206_000034_search_mini_program_and_short_text;
mod m20261206_000035_shared_data_version;
mod m20261206_000036_requests_vacuum_often;
mod m20261206_000037_number_prefix_index;
mod m20261206_000038_request_indexes;
mod m20261207_000039_short_text_grams;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261130_000001_foundation::Migration),
            Box::new(m20261130_000002_requests::Migration),
            Box::new(m20261130_000003_tracking::Migration),
            Box::new(m20261130_000004_bank_statements::Migration),
            Box::new(m20261130_000005_mini_programs::Migration),
            Box::new(m20261130_000006_list_indexes::Migration),
            Box::new(m20261130_000007_approval_chain::Migration),
            Box::new(m20261205_000001_resolution::Migration),
            Box::new(m20261205_000002_statement_format::Migration),
            Box::new(m20261205_000020_figures_indexes::Migration),
            Box::new(m20261206_000010_sso::Migration),
            Box::new(m20261206_000015_people::Migration),
            Box::new(m20261206_000020_shared_state::Migration),
            Box::new(m20261206_000030_search_index::Migration),
            Box::new(m20261206_000031_request_counts::Migration),
            Box::new(m20261206_000032_sort_indexes::Migration),
            Box::new(m20261206_000033_search_without_pending_list::Migration),
            Box::new(m20261206_000034_search_mini_program_and_short_text::Migration),
            Box::new(m20261206_000035_shared_data_version::Migration),
            Box::new(m20261206_000036_requests_vacuum_often::Migration),
            Box::new(m20261206_000037_number_prefix_index::Migration),
            Box::new(m20261206_000038_request_indexes::Migration),
            Box::new(m20261207_000039_short_text_grams::Migration),
        ]
    }
}
