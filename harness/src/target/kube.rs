//! The `kube` target: the profile's manifests applied to a cluster (the current
//! kube-context or a named one) in a namespace of the run's own, the rollout
//! awaited with a deadline, and a local port forwarded to a ready pod so every
//! HTTP check runs unchanged. The namespace is deleted at the end, on failure
//! and on Ctrl-C too; namespaces a dead run of this host left are swept at the
//! next start. Without a reachable cluster the target cannot open, and says so.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Event, Namespace, Pod};
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, LogParams, Patch,
    PatchParams, PostParams,
};
use kube::config::{Config, KubeConfigOptions};
use kube::{Client, ResourceExt};
use serde_json::Value;

use super::{ClusterView, Error, Http, Result, Target};
use crate::cluster::{self, Render, Rollout};
use crate::run::RUN_LABEL;

/// How to open the kube target.
#[derive(Debug, Clone)]
pub struct KubeConfig {
    /// The kube-context; `None` is the current one.
    pub context: Option<String>,
    /// The manifests to apply (a kustomize folder, a folder or a file).
    pub manifests: PathBuf,
    /// An image for the serving container instead of the manifests' one.
    pub image: Option<String>,
    /// The port the service listens on in the pod.
    pub port: u16,
    /// Longest wait for the rollout.
    pub rollout_deadline: Duration,
}

impl KubeConfig {
    /// The reference deployment: the cpu overlay, the service's port 8080, a
    /// rollout deadline of 5 minutes.
    pub fn new(context: Option<String>, manifests: PathBuf) -> Self {
        Self {
            context,
            manifests,
            image: None,
            port: super::SERVICE_PORT,
            rollout_deadline: Duration::from_secs(300),
        }
    }
}

/// A deployment of the service in a cluster, reached through a port forward.
pub struct KubeTarget {
    name: String,
    base: String,
    runtime: Arc<tokio::runtime::Runtime>,
    client: Client,
    /// The API server's version (`1.31.2`), for the reports.
    version: String,
    namespace: String,
    deployment: String,
    selector: String,
    hook: u64,
    forward: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for KubeTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeTarget").field("namespace", &self.namespace).finish()
    }
}

/// Whether a cluster answers at `context`; `Err` says why not, starting
/// `not applicable: no cluster`.
pub fn reachable(context: Option<&str>) -> Result<()> {
    let runtime = runtime().map_err(Error::io("a runtime for kube"))?;
    runtime.block_on(connect(context)).map(|_| ())
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()
}

/// A client of the cluster at `context` and its API server's version.
async fn connect(context: Option<&str>) -> Result<(Client, String)> {
    let options = KubeConfigOptions { context: context.map(str::to_owned), ..Default::default() };
    let config = Config::from_kubeconfig(&options)
        .await
        .map_err(|e| Error::unavailable("not applicable: no cluster: no usable kubeconfig", e))?;
    let server = config.cluster_url.to_string();
    let client = Client::try_from(config)
        .map_err(|e| Error::unavailable(format!("not applicable: no cluster: {server}"), e))?;
    match tokio::time::timeout(Duration::from_secs(10), client.apiserver_version()).await {
        Ok(Ok(info)) => {
            let version = format!("{}.{}", info.major, info.minor.trim_end_matches('+'));
            Ok((client, version))
        }
        Ok(Err(e)) => Err(Error::unavailable(
            format!("not applicable: no cluster: {server} did not answer"),
            e,
        )),
        Err(_) => Err(Error::Config(format!(
            "not applicable: no cluster: {server} did not answer within 10 s"
        ))),
    }
}

impl KubeTarget {
    /// Applies the manifests in a namespace of this run and waits for the
    /// rollout. `Error::Config` when no cluster is reachable or the manifests
    /// cannot be read; `Error::Start` (with pod events and logs) when the
    /// rollout fails or times out, after the namespace was deleted.
    pub fn start(config: &KubeConfig) -> Result<Self> {
        let documents = crate::manifests::load(std::slice::from_ref(&config.manifests))
            .map_err(|e| Error::Config(format!("--target kube: {e}")))?;
        let runtime = Arc::new(runtime().map_err(Error::io("a runtime for kube"))?);
        let (client, version) = runtime
            .block_on(connect(config.context.as_deref()))
            .map_err(|e| Error::unavailable("--target kube", e))?;
        let swept = runtime.block_on(sweep(&client));
        if swept > 0 {
            eprintln!("gauntlet: removed {swept} namespace(s) a dead run left");
        }
        let namespace = cluster::namespace_for(crate::run::run_id());
        let render = Render {
            namespace: namespace.clone(),
            run_id: crate::run::run_id().to_owned(),
            image: config.image.clone(),
        };
        let objects =
            render.objects(&documents).map_err(|e| Error::Config(format!("--target kube: {e}")))?;
        let deployment = objects
            .iter()
            .find(|o| o["kind"] == "Deployment")
            .and_then(|o| o["metadata"]["name"].as_str())
            .ok_or_else(|| Error::Config("--target kube: the manifests hold no Deployment".into()))?
            .to_owned();
        runtime.block_on(create_namespace(&client, &namespace))?;
        let hook = {
            let (client, namespace) = (client.clone(), namespace.clone());
            crate::run::on_interrupt(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    let _ = rt.block_on(delete_namespace(&client, &namespace));
                    eprintln!("gauntlet: interrupted; deleted namespace {namespace}");
                }
            })
        };
        let started = runtime.block_on(async {
            apply(&client, &namespace, &objects).await?;
            let selector =
                wait_rollout(&client, &namespace, &deployment, config.rollout_deadline).await?;
            let pod = ready_pod(&client, &namespace, &selector).await?;
            let (base, forward) = forward(&client, &namespace, &pod, config.port).await?;
            Ok::<_, Error>((selector, base, forward))
        });
        match started {
            Ok((selector, base, forward)) => Ok(Self {
                name: format!("kube={}", config.context.as_deref().unwrap_or("current-context")),
                base,
                runtime,
                client,
                version,
                namespace,
                deployment,
                selector,
                hook,
                forward,
            }),
            Err(why) => {
                let diagnostics = runtime.block_on(diagnostics(&client, &namespace, None));
                let _ = runtime.block_on(delete_namespace(&client, &namespace));
                crate::run::forget_on_interrupt(hook);
                Err(Error::Start(format!("--target kube: {why}\n{diagnostics}")))
            }
        }
    }

    /// The run's namespace.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }
}

impl Drop for KubeTarget {
    fn drop(&mut self) {
        self.forward.abort();
        let _ = self.runtime.block_on(delete_namespace(&self.client, &self.namespace));
        crate::run::forget_on_interrupt(self.hook);
    }
}

impl Target for KubeTarget {
    fn name(&self) -> &str {
        &self.name
    }

    fn kubernetes_version(&self) -> Option<String> {
        Some(self.version.clone())
    }

    fn http(&self) -> Option<Http<'_>> {
        Some(Http::new(&self.base))
    }

    fn cluster(&self) -> Option<&dyn ClusterView> {
        Some(self)
    }
}

impl ClusterView for KubeTarget {
    fn deployment(&self) -> Result<Deployment> {
        let api: Api<Deployment> = Api::namespaced(self.client.clone(), &self.namespace);
        self.runtime
            .block_on(api.get(&self.deployment))
            .map_err(Error::cluster(format!("reading deployment {}", self.deployment)))
    }

    fn pods(&self) -> Result<Vec<Pod>> {
        self.runtime.block_on(pods(&self.client, &self.namespace, &self.selector))
    }

    fn diagnostics(&self) -> String {
        self.runtime.block_on(diagnostics(&self.client, &self.namespace, Some(&self.selector)))
    }
}

async fn create_namespace(client: &Client, name: &str) -> Result<()> {
    let labels: BTreeMap<String, String> = crate::run::labels().into();
    let namespace = Namespace {
        metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
            name: Some(name.to_owned()),
            labels: Some(labels),
            ..Default::default()
        },
        ..Default::default()
    };
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &namespace)
        .await
        .map(drop)
        .map_err(Error::cluster(format!("creating namespace {name}")))
}

async fn delete_namespace(client: &Client, name: &str) -> Result<()> {
    Api::<Namespace>::all(client.clone())
        .delete(name, &DeleteParams::background())
        .await
        .map(drop)
        .map_err(Error::cluster(format!("deleting namespace {name}")))
}

/// Deletes the namespaces of this host's runs whose harness died; returns how many.
async fn sweep(client: &Client) -> usize {
    let api = Api::<Namespace>::all(client.clone());
    let Ok(list) = api.list(&ListParams::default().labels(RUN_LABEL)).await else { return 0 };
    let labelled: Vec<(String, BTreeMap<String, String>)> =
        list.items.iter().map(|n| (n.name_any(), n.labels().clone())).collect();
    let stale = cluster::stale(&labelled, crate::run::pid_scope(), crate::run::process_alive);
    let mut removed = 0;
    for name in stale {
        if delete_namespace(client, &name).await.is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Server-side apply of every object, as field manager `gauntlet`.
async fn apply(client: &Client, namespace: &str, objects: &[Value]) -> Result<()> {
    for object in objects {
        let api_version = object["apiVersion"].as_str().unwrap_or_default();
        let kind = object["kind"].as_str().unwrap_or_default();
        let name = object["metadata"]["name"].as_str().unwrap_or_default();
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let resource = ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, kind));
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &resource);
        api.patch(name, &PatchParams::apply("gauntlet").force(), &Patch::Apply(object))
            .await
            .map_err(Error::cluster(format!("applying {kind}/{name}")))?;
    }
    Ok(())
}

/// Waits for the Deployment's rollout; returns its pods' label selector.
async fn wait_rollout(
    client: &Client,
    namespace: &str,
    name: &str,
    deadline: Duration,
) -> Result<String> {
    let api: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    let started = Instant::now();
    loop {
        let deployment =
            api.get(name).await.map_err(Error::cluster(format!("reading deployment {name}")))?;
        let selector = selector_of(&deployment);
        match cluster::judge_rollout(&deployment) {
            Rollout::Complete(_) => return Ok(selector),
            Rollout::Failed(why) => return Err(Error::Start(why)),
            Rollout::Waiting(why) if started.elapsed() > deadline => {
                return Err(Error::Start(format!(
                    "the rollout did not finish within {deadline:?}: {why}"
                )));
            }
            Rollout::Waiting(_) => {}
        }
        let pods = pods(client, namespace, &selector).await?;
        if let Some(why) = cluster::hopeless(&pods) {
            return Err(Error::Start(why));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

fn selector_of(d: &Deployment) -> String {
    let labels = d.spec.selector.match_labels.clone().unwrap_or_default();
    labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
}

async fn pods(client: &Client, namespace: &str, selector: &str) -> Result<Vec<Pod>> {
    Api::<Pod>::namespaced(client.clone(), namespace)
        .list(&ListParams::default().labels(selector))
        .await
        .map(|l| l.items)
        .map_err(Error::cluster("listing pods"))
}

async fn ready_pod(client: &Client, namespace: &str, selector: &str) -> Result<String> {
    let pods = pods(client, namespace, selector).await?;
    pods.iter()
        .find(|p| {
            p.status
                .iter()
                .flat_map(|s| s.conditions.iter().flatten())
                .any(|c| c.type_ == "Ready" && c.status == "True")
        })
        .map(ResourceExt::name_any)
        .ok_or_else(|| Error::Start("no pod is ready although the rollout completed".into()))
}

/// Listens on a local port and forwards each connection to `port` of `pod`.
async fn forward(
    client: &Client,
    namespace: &str,
    pod: &str,
    port: u16,
) -> Result<(String, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(Error::io("listening for the port forward"))?;
    let local = listener.local_addr().map_err(Error::io("listening for the port forward"))?;
    let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let pod = pod.to_owned();
    let task = tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (api, pod) = (api.clone(), pod.clone());
            tokio::spawn(async move {
                let Ok(mut forwarder) = api.portforward(&pod, &[port]).await else { return };
                let Some(mut upstream) = forwarder.take_stream(port) else { return };
                let _ = tokio::io::copy_bidirectional(&mut socket, &mut upstream).await;
                drop(upstream);
                let _ = forwarder.join().await;
            });
        }
    });
    Ok((format!("http://{local}"), task))
}

/// The namespace's events and the logs of its pods (of `selector`, or all),
/// for a report that must say why.
async fn diagnostics(client: &Client, namespace: &str, selector: Option<&str>) -> String {
    let mut out = String::new();
    let events: Api<Event> = Api::namespaced(client.clone(), namespace);
    if let Ok(list) = events.list(&ListParams::default()).await {
        out.push_str(&format!("events in {namespace}:\n"));
        for e in list.items.iter().rev().take(30).rev() {
            out.push_str(&format!(
                "  {} {}/{}: {}: {}\n",
                e.type_.as_deref().unwrap_or("?"),
                e.involved_object.kind.as_deref().unwrap_or("?"),
                e.involved_object.name.as_deref().unwrap_or("?"),
                e.reason.as_deref().unwrap_or("?"),
                e.message.as_deref().unwrap_or("")
            ));
        }
    }
    let pods_api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let params = selector.map_or_else(ListParams::default, |s| ListParams::default().labels(s));
    if let Ok(list) = pods_api.list(&params).await {
        for pod in list.items.iter().take(3) {
            let name = pod.name_any();
            let logs = LogParams { tail_lines: Some(40), ..Default::default() };
            match pods_api.logs(&name, &logs).await {
                Ok(text) => out.push_str(&format!("logs of pod {name} (last 40 lines):\n{text}\n")),
                Err(e) => out.push_str(&format!("logs of pod {name}: {e}\n")),
            }
        }
    }
    out
}
