//! Which worker runs which task of a stage that reads Delta files.
//!
//! Each worker keeps the byte ranges it reads in its data cache, so a repeated query is
//! fastest when its tasks go back to the workers that read their files the last time.
//! datafusion-distributed deals a stage's tasks out round-robin from a random first worker:
//! a repeated query then finds its files on the other worker about half the time, and in the
//! end every worker caches every file. Here the first worker is chosen from the files the
//! stage reads instead, so the same files go to the same workers while the set of live
//! workers stays the same. The tasks are still dealt round-robin, so they stay spread out.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::error::Result;
use datafusion::physical_plan::ExecutionPlan;
use datafusion_distributed::{
    DistributedLeafExec, NetworkBoundaryExt, RouteTasksEvent, RouteTasksEventResponse,
    RouteTasksHandler, WorkerResolver,
};
use lakeshore_engine::distributed::delta_scan_file_urls;
use url::Url;

/// Routes the tasks of every stage that reads Delta files by those files, a stage of one task
/// too; other stages are left to datafusion-distributed's own routing.
pub(crate) struct FileAffinity<W> {
    pub(crate) workers: W,
}

impl<W: WorkerResolver + Send + Sync + 'static> RouteTasksHandler for FileAffinity<W> {
    fn handle(&self, event: RouteTasksEvent) -> Option<Result<RouteTasksEventResponse>> {
        let files = files_read_by_stage(event.plan)?;
        let urls = in_one_order(&self.workers)?;
        Some(Ok(RouteTasksEventResponse::new(deal(
            &urls,
            files,
            event.task_count,
        ))))
    }
}

/// The live workers in one order whatever the configuration's, so that coordinators that list
/// the same workers differently send the same files to the same worker; `None` when there are
/// none, and the planner's own routing says what is wrong.
fn in_one_order(workers: &impl WorkerResolver) -> Option<Vec<Url>> {
    let mut urls = workers.get_urls().ok().filter(|urls| !urls.is_empty())?;
    urls.sort();
    Some(urls)
}

/// `tasks` workers of `urls`, round-robin from one chosen by `files`.
fn deal(urls: &[Url], files: u64, tasks: usize) -> Vec<Url> {
    let first = (files % urls.len() as u64) as usize;
    (0..tasks)
        .map(|task| urls[(first + task) % urls.len()].clone())
        .collect()
}

/// A digest of the Delta files the stage headed by `plan` reads (its own leaves, not those of
/// the stages it reads from); `None` when it reads none.
fn files_read_by_stage(plan: &Arc<dyn ExecutionPlan>) -> Option<u64> {
    let mut hasher = DefaultHasher::new();
    let mut found = false;
    let mut hash_scan = |scan: &Arc<dyn ExecutionPlan>| {
        if let Some(urls) = delta_scan_file_urls(scan) {
            urls.for_each(|url| url.hash(&mut hasher));
            found = true;
        }
    };
    // Visiting a plan cannot fail.
    let _ = plan.apply(|node| {
        if node.is_network_boundary() {
            return Ok(TreeNodeRecursion::Jump);
        }
        match node.downcast_ref::<DistributedLeafExec>() {
            Some(leaf) => leaf.variants().iter().for_each(&mut hash_scan),
            None => hash_scan(node),
        }
        Ok(TreeNodeRecursion::Continue)
    });
    found.then(|| hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls() -> Vec<Url> {
        ["http://127.0.0.1:1001", "http://127.0.0.1:1002"]
            .iter()
            .filter_map(|text| Url::parse(text).ok())
            .collect()
    }

    #[test]
    fn the_same_files_go_to_the_same_workers_and_tasks_are_spread() {
        let workers = urls();
        for files in [0, 1, 7, u64::MAX] {
            let tasks = deal(&workers, files, 2);
            assert_eq!(tasks, deal(&workers, files, 2));
            assert_ne!(tasks[0], tasks[1], "two tasks should run on two workers");
        }
        assert_ne!(deal(&workers, 0, 1), deal(&workers, 1, 1));
    }

    #[test]
    fn coordinators_that_list_the_workers_differently_route_alike() {
        struct Listed(Vec<Url>);
        impl WorkerResolver for Listed {
            fn get_urls(&self) -> Result<Vec<Url>> {
                Ok(self.0.clone())
            }
        }
        let listed = urls();
        let reversed: Vec<Url> = listed.iter().rev().cloned().collect();
        let route = |workers: Vec<Url>| {
            let urls = in_one_order(&Listed(workers)).unwrap_or_default();
            deal(&urls, 1, 2)
        };
        assert_eq!(route(listed), route(reversed));
        assert_eq!(in_one_order(&Listed(Vec::new())), None);
    }
}
