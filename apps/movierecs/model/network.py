"""The history encoder: scores every movie from a user's recent interactions (no user embedding).

A user is the sequence of their newest interactions (movie, rating or none, order), so an unseen user is served
as well as a known one and a new event changes the scores at once. Each interaction becomes a token::

    token = item_embedding[movie] + rating_projection([is_rated, (rating - 3) / 2]) + recency_embedding[bucket]

where the recency bucket is ``floor(log2(1 + position from the newest))``. A learned ``[USER]`` token is always
present (so an empty history yields a popularity-like prior). Multi-head attention pooling with learned queries
plus a masked mean are concatenated and mapped by an MLP to the user vector ``u``; the score of movie ``j`` is
``u · W_j + b_j``. Input ids are ``1..N`` (``0`` is padding); output column ``j`` is vocabulary entry ``j``.

The module is written for TorchScript: serving calls :meth:`encode` for one history and multiplies with the item
table returned once by :meth:`item_table` (precomputed at load).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

RECENCY_BUCKETS = 10


class HistoryRecommender(nn.Module):
    def __init__(
        self,
        num_items: int,
        dim: int = 128,
        heads: int = 4,
        hidden: int = 512,
        dropout: float = 0.2,
        item_item_size: int = 0,
    ) -> None:
        super().__init__()
        if dim % heads != 0:
            raise ValueError("dim must be divisible by heads")
        self.num_items = num_items
        self.dim = dim
        self.heads = heads
        self.item_in = nn.Embedding(num_items + 1, dim, padding_idx=0)
        self.rating_proj = nn.Linear(2, dim)
        self.recency = nn.Embedding(RECENCY_BUCKETS, dim)
        self.user_token = nn.Parameter(torch.zeros(dim))
        self.token_norm = nn.LayerNorm(dim)
        self.key = nn.Linear(dim, dim)
        self.queries = nn.Parameter(torch.randn(heads, dim // heads) / math.sqrt(dim // heads))
        self.mlp = nn.Sequential(
            nn.Linear(2 * dim, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, dim)
        )
        self.dropout = nn.Dropout(dropout)
        self.item_out = nn.Parameter(torch.randn(num_items, dim) * 0.02)
        self.item_bias = nn.Parameter(torch.zeros(num_items))
        # Item-item weights over the ``item_item_size`` most popular movies (vocabulary order), fitted in closed
        # form (EASE) before training and frozen; the neural part learns what it misses (order, ratings).
        self.register_buffer("item_item", torch.zeros(item_item_size, item_item_size))
        self.item_item_scale = nn.Parameter(torch.tensor(10.0))
        # The neural part starts at zero, so the untrained model ranks exactly like the item-item part.
        nn.init.zeros_(self.mlp[-1].weight)
        nn.init.zeros_(self.mlp[-1].bias)
        # Item identity must dominate the token at init; rating and recency start as small offsets.
        nn.init.normal_(self.item_in.weight, std=1.0)
        nn.init.normal_(self.recency.weight, std=0.02)
        nn.init.normal_(self.rating_proj.weight, std=0.02)
        nn.init.zeros_(self.rating_proj.bias)
        with torch.no_grad():
            self.item_in.weight[0].zero_()

    def forward(self, items: Tensor, ratings: Tensor) -> Tensor:
        """Scores ``[B, N]`` for histories ``items`` ``[B, L]`` (left-padded with 0, newest last) and
        ``ratings`` ``[B, L]`` (0.0 for an interaction without a rating)."""
        return self.score(self.encode(items, ratings)) + self.item_item_scale * self.item_item_scores(items)

    @torch.jit.export
    def encode(self, items: Tensor, ratings: Tensor) -> Tensor:
        """User vectors ``[B, dim]``."""
        batch, length = items.shape
        mask = items > 0
        rated = (ratings > 0).to(torch.float32)
        rating_features = torch.stack([rated, rated * (ratings - 3.0) / 2.0], dim=-1)
        positions = torch.arange(length - 1, -1, -1, device=items.device)
        buckets = torch.clamp(torch.log2(positions.to(torch.float32) + 1.0).floor().to(torch.long),
                              max=RECENCY_BUCKETS - 1)
        tokens = self.item_in(items) + self.rating_proj(rating_features) + self.recency(buckets).unsqueeze(0)
        user = self.user_token.view(1, 1, self.dim).expand(batch, 1, self.dim)
        tokens = self.token_norm(torch.cat([user, tokens], dim=1))
        mask = torch.cat([torch.ones(batch, 1, dtype=torch.bool, device=items.device), mask], dim=1)

        head_dim = self.dim // self.heads
        keys = self.key(tokens).view(batch, length + 1, self.heads, head_dim)
        logits = (keys * self.queries.view(1, 1, self.heads, head_dim)).sum(-1) / math.sqrt(head_dim)
        logits = logits.masked_fill(~mask.unsqueeze(-1), -1e9)
        weights = torch.softmax(logits, dim=1)  # [B, L+1, H]
        values = tokens.view(batch, length + 1, self.heads, head_dim)
        attended = (weights.unsqueeze(-1) * values).sum(1).reshape(batch, self.dim)
        maskf = mask.to(torch.float32).unsqueeze(-1)
        mean = (tokens * maskf).sum(1) / maskf.sum(1)
        return self.mlp(self.dropout(torch.cat([attended, mean], dim=-1)))

    @torch.jit.export
    def item_item_scores(self, items: Tensor) -> Tensor:
        """``x @ B`` for the binary history vector ``x`` (``[B, N]``; zero beyond the item-item block)."""
        batch = items.shape[0]
        size = self.item_item.shape[0]
        out = torch.zeros(batch, self.num_items, device=items.device)
        if size == 0:
            return out
        columns = torch.where((items > 0) & (items <= size), items - 1, torch.full_like(items, size))
        present = torch.zeros(batch, size + 1, device=items.device).scatter_(1, columns, 1.0)[:, :size]
        out[:, :size] = present @ self.item_item
        return out

    @torch.jit.export
    def score(self, users: Tensor) -> Tensor:
        return users @ self.item_out.t() + self.item_bias

    @torch.jit.export
    def item_table(self) -> tuple[Tensor, Tensor]:
        """Output item vectors ``[N, dim]`` and biases ``[N]``: what serving multiplies a user vector with."""
        return self.item_out, self.item_bias
