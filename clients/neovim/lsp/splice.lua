-- Lets `vim.lsp.enable('splice')` work on Neovim 0.11+ with this plugin on 'runtimepath'.
-- Override fields with vim.lsp.config('splice', { ... }) or require('splice').setup({ ... }).
return require('splice.config').lsp_config()
