//! How many requests are in each stored status, kept by triggers in the same transaction as
//! every insert, status change and delete, so the list's total for the common shapes (no
//! filter, a status filter) is read, not counted (`store::counts`). Filled here from the rows
//! already there.
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("request_counts")
                .if_not_exists()
                .col(string_len("status", 32).primary_key())
                .col(big_integer("n"))
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        let bump = "INSERT INTO request_counts (status, n) VALUES (NEW.status, 1) \
                    ON CONFLICT (status) DO UPDATE SET n = request_counts.n + 1";
        let drop = "UPDATE request_counts SET n = n - 1 WHERE status = OLD.status";
        match m.get_database_backend() {
            DatabaseBackend::Sqlite => {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER IF NOT EXISTS requests_count_insert AFTER INSERT ON requests BEGIN {bump}; END"
                ))
                .await?;
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER IF NOT EXISTS requests_count_delete AFTER DELETE ON requests BEGIN {drop}; END"
                ))
                .await?;
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER IF NOT EXISTS requests_count_update AFTER UPDATE OF status ON requests \
                     WHEN OLD.status <> NEW.status BEGIN {drop}; {bump}; END"
                ))
                .await?;
            }
            _ => {
                db.execute_unprepared(&format!(
                    "CREATE OR REPLACE FUNCTION requests_count() RETURNS trigger AS $$ BEGIN \
                       IF TG_OP <> 'INSERT' THEN {drop}; END IF; \
                       IF TG_OP <> 'DELETE' THEN {bump}; END IF; \
                       RETURN NULL; END; $$ LANGUAGE plpgsql"
                ))
                .await?;
                db.execute_unprepared(
                    "DROP TRIGGER IF EXISTS requests_count_insert_delete ON requests; \
                     CREATE TRIGGER requests_count_insert_delete AFTER INSERT OR DELETE ON requests \
                     FOR EACH ROW EXECUTE FUNCTION requests_count()",
                )
                .await?;
                db.execute_unprepared(
                    "DROP TRIGGER IF EXISTS requests_count_update ON requests; \
                     CREATE TRIGGER requests_count_update AFTER UPDATE OF status ON requests \
                     FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION requests_count()",
                )
                .await?;
            }
        }
        db.execute_unprepared("DELETE FROM request_counts").await?;
        db.execute_unprepared("INSERT INTO request_counts (status, n) SELECT status, COUNT(*) FROM requests GROUP BY status").await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match m.get_database_backend() {
            DatabaseBackend::Sqlite => {
                for t in ["requests_count_insert", "requests_count_delete", "requests_count_update"] {
                    db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {t}")).await?;
                }
            }
            _ => {
                db.execute_unprepared("DROP TRIGGER IF EXISTS requests_count_insert_delete ON requests").await?;
                db.execute_unprepared("DROP TRIGGER IF EXISTS requests_count_update ON requests").await?;
                db.execute_unprepared("DROP FUNCTION IF EXISTS requests_count()").await?;
            }
        }
        m.drop_table(Table::drop().table("request_counts").if_exists().to_owned()).await
    }
}
