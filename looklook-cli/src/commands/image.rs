//! `looklook build` and `looklook push`: the images of the manifest's
//! processes, through the engine's API.

use std::fmt::Write as _;

use looklook_dev::image::{self, Image, ImageError, ImageOptions};
use looklook_stack::docker::engine_socket;

use crate::cli::{BuildArgs, ImageArgs};
use crate::commands::infra::{Progress, short_id};

fn options(args: ImageArgs) -> miette::Result<ImageOptions> {
    let here = std::env::current_dir().map_err(|e| miette::miette!("{e}"))?;
    let manifest = looklook_manifest::find(args.manifest.as_deref(), &here)
        .ok_or_else(|| miette::miette!("{}", looklook_dev::DevError::NoManifest(here.clone())))?;
    Ok(ImageOptions {
        manifest: std::path::absolute(&manifest).unwrap_or(manifest),
        only: args.processes,
        registry: args.registry,
        tag: args.tag,
        socket: engine_socket(),
        ..Default::default()
    })
}

pub fn build(args: BuildArgs) -> miette::Result<String> {
    let opts = ImageOptions {
        prebuilt: args.prebuilt.then_some(args.profile),
        base: args.base,
        builder: args.builder,
        ..options(args.image)?
    };
    let mut progress = Progress::new();
    let images =
        image::build_blocking(&opts, &mut |event| progress.show(&event)).map_err(image_error)?;
    Ok(listing(&images, true))
}

pub fn push(args: ImageArgs) -> miette::Result<String> {
    let opts = options(args)?;
    let mut progress = Progress::new();
    let images =
        image::push_blocking(&opts, &mut |event| progress.show(&event)).map_err(image_error)?;
    Ok(listing(&images, false))
}

/// One line an image: its name, then its id (short, as engines show it)
/// or the registry's digest (whole, as a deployment pins it).
fn listing(images: &[Image], short: bool) -> String {
    let mut out = String::new();
    for image in images {
        let _ = match &image.id {
            Some(id) if short => writeln!(out, "{}  {}", image.name, short_id(id)),
            Some(digest) => writeln!(out, "{}  {digest}", image.name),
            None => writeln!(out, "{}", image.name),
        };
    }
    out
}

fn image_error(e: ImageError) -> miette::Report {
    match e {
        ImageError::Load(e) => crate::dev_error(e),
        other => miette::miette!("{other}"),
    }
}
