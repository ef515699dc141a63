//! Starts `splice lsp` for Python buffers and hands it the user's settings.
//!
//! The server is whatever `splice` the worktree's shell finds (a virtualenv's
//! included), or `lsp.splice.binary` in Zed's settings. Settings come from
//! `lsp.splice.initialization_options` and `lsp.splice.settings`.
use zed_extension_api::{self as zed, serde_json, settings::LspSettings, LanguageServerId, Result};

const SERVER: &str = "splice";

struct SpliceExtension;

impl zed::Extension for SpliceExtension {
    fn new() -> Self {
        SpliceExtension
    }

    fn language_server_command(
        &mut self,
        _language_server_id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<zed::Command> {
        let binary = LspSettings::for_worktree(SERVER, worktree)
            .ok()
            .and_then(|settings| settings.binary);
        let arguments = binary
            .as_ref()
            .and_then(|binary| binary.arguments.clone())
            .unwrap_or_else(|| vec!["lsp".to_string()]);
        let command = binary
            .and_then(|binary| binary.path)
            .or_else(|| worktree.which(SERVER))
            .ok_or_else(|| {
                "splice is not on the PATH of this project's shell: install it \
                 (python -m pip install splice) or set lsp.splice.binary.path"
                    .to_string()
            })?;
        Ok(zed::Command {
            command,
            args: arguments,
            env: worktree.shell_env(),
        })
    }

    fn language_server_initialization_options(
        &mut self,
        _language_server_id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<Option<serde_json::Value>> {
        Ok(LspSettings::for_worktree(SERVER, worktree)
            .ok()
            .and_then(|settings| settings.initialization_options))
    }

    fn language_server_workspace_configuration(
        &mut self,
        _language_server_id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<Option<serde_json::Value>> {
        // The "splice" section, as VS Code sends it; nothing when nothing is set.
        Ok(LspSettings::for_worktree(SERVER, worktree)
            .ok()
            .and_then(|settings| settings.settings)
            .map(|settings| serde_json::json!({ "splice": settings })))
    }
}

zed::register_extension!(SpliceExtension);
