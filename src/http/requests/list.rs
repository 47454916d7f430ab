//! `GET /requests`: the requests the caller may see, filtered, sorted and paginated.
use super::view::{self, Names, RequestView};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::http::Page;
use crate::http::extract::Query;
use crate::store::list::{ListQuery, filter_condition, sort_order};
use crate::store::requests::visible_to;
use axum::extract::State;
use entity::request;
use sea_orm::{ColumnTrait, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

/// List the requests the caller may see, filtered, sorted and paginated.
#[utoipa::path(get, path = "/requests", tag = "requests", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = Page<RequestView>), (status = 401, body = crate::error::ProblemBody),
              (status = 422, body = crate::error::ProblemBody)))]
pub(super) async fn list_requests(
    State(state): State<AppState>,
    me: AuthUser,
    uri: axum::http::Uri,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::response::Response> {
    // Bad parameters fail inside `render`; a failed rendering is not kept.
    let shows = if crate::store::list::never_shows_drafts(&q) { super::Shows::NoDrafts } else { super::Shows::Anything };
    super::cached_page(&state, &me, &uri, shows, async |seq, names, today| render(&state, &me, &q, seq, names, today).await).await
}

/// The list's total counted on `db`: through the SQLite index alone for a `direct` search,
/// up to `cap` for a text search, else exactly.
async fn count_total(
    db: &impl sea_orm::ConnectionTrait,
    direct: Option<&(&str, String)>,
    cap: Option<u64>,
    matching: sea_orm::Select<request::Entity>,
) -> Result<u64, sea_orm::DbErr> {
    match (direct, cap) {
        (Some(phrase), _) => crate::store::list::index_only_total(db, phrase, crate::store::list::SEARCH_TOTAL_CAP).await,
        (None, Some(cap)) => crate::store::list::count_at_most(db, matching, cap).await,
        (None, None) => matching.count(db).await,
    }
}

/// One page of the list, rendered: `seq` is the data version read before anything else (the
/// one the page depends on), `names` the display names' (`store::cache::Versions`).
async fn render(state: &AppState, me: &AuthUser, q: &ListQuery, seq: i64, names: i64, today: chrono::NaiveDate) -> ApiResult<bytes::Bytes> {
    let (page, per_page) = crate::http::PageParams::resolve(q.page, q.per_page)?;
    let (col, order) = sort_order(q.sort.as_deref())?;
    let backend = state.db.get_database_backend();
    let mut matching = request::Entity::find().filter(visible_to(me)).filter(filter_condition(q, today, backend)?);
    // Rare text of one or two characters is found through its own index (PostgreSQL), and
    // then like a trigram search (below).
    let rare_short = crate::store::list::rare_short_text(&state.db, &state.common_grams, q).await?;
    if let Some(grams) = &rare_short {
        matching = matching.filter(grams.clone());
    }
    // The total depends on the filters, on what the caller may see and on the day (flags).
    let viewer = if me.roles.sees_all_requests() { 0 } else { me.id };
    let key = format!(
        "{viewer}|{today}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
        q.status, q.kind, q.flag, q.q, q.from, q.to, q.department_id, q.requester_id
    );
    let offset = (page - 1) * per_page;
    let anchor_key = format!("{key}|{per_page}|{offset}");
    let direct = crate::store::list::index_only_search(q, backend, me.roles.sees_all_requests());
    let newest_first = matches!((col, &order), (request::Column::Id, Order::Desc));
    // On a list that can show a draft `seq` is the full data version, which every request
    // created moves: its total can grow with the creations since it was counted, and a
    // newest-first page be found again from where it was (`anchored`, below).
    let grows = !crate::store::list::never_shows_drafts(q);
    // A search that an index narrows on PostgreSQL (trigrams, or the short-text grams): its
    // few-match pages are found through the index first (below).
    let index_search = crate::store::list::trigram_search_on_postgres(q, backend) || rare_short.is_some();
    // The same requests, tested row by row, to tell which of a few new ones match: a search
    // that the SQLite index answers alone is tested by its `LIKE` (the index's own query reads
    // every match, 5-15 ms for a request number on a million requests).
    let entering = match &direct {
        Some(_) => crate::store::list::index_only_search_by_like(q, backend),
        None => matching.clone(),
    };
    // The total and the page's ids are independent: they run at once on two pooled
    // connections, so a page rendered again after a write waits for the slower only.
    let total = async {
        let stored = if me.roles.sees_all_requests() { crate::store::list::stored_total(&state.db, q, today).await? } else { None };
        if let Some(n) = stored.or_else(|| state.counts.get(&key, seq)) {
            return Ok::<u64, sea_orm::DbErr>(n);
        }
        let cap = crate::store::list::searches_text(q).then_some(crate::store::list::SEARCH_TOTAL_CAP);
        let grown = match grows {
            true => crate::store::list::total_after_creations(&state.db, &state.counts, &key, seq, entering.clone(), cap).await?,
            false => None,
        };
        let (n, at, exact) = match grown {
            Some(n) => (n, seq, true),
            // A total to grow from must hold exactly the data of the version it is kept at:
            // counted in one snapshot with the version it then reads (which may be newer than
            // `seq`), not after reading `seq` while writes go on.
            None if grows => {
                let counted = async |tx: &sea_orm::DatabaseTransaction| count_total(tx, direct.as_ref(), cap, matching.clone()).await;
                let (at, n) = crate::store::cache::at_data_version(&state.db, counted).await?;
                (n, at, true)
            }
            None => (count_total(&state.db, direct.as_ref(), cap, matching.clone()).await?, seq, false),
        };
        state.counts.put(key, at, n, exact);
        Ok(n)
    };
    // The page's ids first, which an index answers, then just those rows: the database never
    // walks wide rows only to skip them (PostgreSQL otherwise prefers the primary key in id
    // order and filters, which is slow when the status is clustered in time, as it is).
    //
    // Pages found again from where they were (`anchored_page`): deep pages, which are found
    // by skipping every row before them; the pages of a text search on PostgreSQL, found by
    // walking the list's order and testing each row's text (its few-match pages are found
    // through the trigram or short-text indexes instead, below); and the pages of a search
    // the SQLite index answers alone, whose query reads all its matches. After drafts that do
    // not match such a page is the one kept.
    let walked_search = backend == sea_orm::DatabaseBackend::Postgres && crate::store::list::searches_text(q);
    let anchored = grows && newest_first && (direct.is_some() || walked_search || offset >= crate::store::list::ANCHORED_FROM);
    let page_ids = matching
        .clone()
        .select_only()
        .column(request::Column::Id)
        .order_by(col, order.clone())
        .order_by(request::Column::Id, Order::Desc)
        .limit(per_page)
        .offset(offset);
    let ids = async {
        if anchored {
            // The SQLite index finds a search's rows in order by itself (the requests table
            // would read all of them): only a page that no new request entered is kept.
            let lists = (direct.is_none().then(|| matching.clone()), entering.clone());
            let found =
                crate::store::list::anchored_page(&state.db, &state.page_anchors, (&anchor_key, seq), lists, (per_page, offset)).await?;
            if let Some(ids) = found {
                return Ok(ids);
            }
            let anchors = &state.page_anchors;
            return match &direct {
                Some(phrase) => {
                    let read =
                        async |tx: &sea_orm::DatabaseTransaction| crate::store::list::index_only_page(tx, phrase, per_page, offset).await;
                    crate::store::list::anchor_page(&state.db, anchors, &anchor_key, read).await
                }
                None => {
                    let read = async |tx: &sea_orm::DatabaseTransaction| page_ids.into_tuple().all(tx).await;
                    crate::store::list::anchor_page(&state.db, anchors, &anchor_key, read).await
                }
            };
        }
        match &direct {
            Some(phrase) if newest_first => crate::store::list::index_only_page(&state.db, phrase, per_page, offset).await,
            _ => page_ids.into_tuple::<i32>().all(&state.db).await,
        }
    };
    let (total, ids) = if index_search {
        // PostgreSQL guesses a searched text's matches from per-column statistics, and for a
        // request number on 1,000,000 requests guessed 285: walking the list's order until
        // twenty matched then read every row for the one real match (1.7 s). The total says
        // how many there are; a few are found through the index first.
        let total = total.await?;
        let ids = match total <= crate::store::list::FEW_MATCHES {
            true => {
                let page = (offset, per_page);
                crate::store::list::page_of_few(&state.db, matching.clone(), (col, order.clone()), page).await?
            }
            false => ids.await?,
        };
        (total, ids)
    } else {
        tokio::try_join!(total, ids)?
    };
    let mut rows = if ids.is_empty() {
        Vec::new()
    } else {
        request::Entity::find().filter(request::Column::Id.is_in(ids.clone())).all(&state.db).await?
    };
    rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
    let names = Names::load(state, me, &rows, Some(names)).await?;
    let items = rows.iter().map(|m| view::view(m, me, &names, today, state)).collect();
    super::render(&Page { items, total, page, per_page })
}
