"""The recommender: scores every movie from a user's recent interactions (no user embedding).

A user *is* the sequence of their newest interactions (movie, rating or none, order), so an unseen user is served
as well as a known one and a new event changes the scores at once. Two additive parts:

* **item-item** (``N_ii`` most popular movies): ``scale · (x @ B)`` with ``B`` fitted in closed form (EASE,
  Steck 2019) before training and frozen; ``x`` is the history vector whose entry for a movie is
  ``exp(recency_weight[bucket] + rating_weight · [is_rated, (rating - 3) / 2])`` — recency and rating weights
  are learned by gradient descent (1 at init).
* **history encoder** (neural): each interaction becomes a token
  ``item_embedding[movie] + rating_projection([is_rated, (rating - 3) / 2]) + recency_embedding[bucket]``;
  a learned ``[USER]`` token is always present; multi-head attention pooling with learned queries plus a masked
  mean go through an MLP to the user vector ``u``; its score for movie ``j`` is ``u · W_j + b_j``. The last MLP
  layer starts at zero, so the untrained model ranks exactly like the item-item part and training (with
  early stopping on validation) can only keep what improves it.

The recency bucket is ``floor(log2(1 + position from the newest))``. Input ids are ``1..N`` (``0`` is padding,
histories are left-padded, newest last); output column ``j`` is vocabulary entry ``j``. Written for TorchScript.
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
        self.recency_buckets = RECENCY_BUCKETS
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
        # Learned log-weights of a history entry in the item-item part: by recency bucket and by rating.
        self.item_item_recency = nn.Parameter(torch.zeros(RECENCY_BUCKETS))
        self.item_item_rating = nn.Parameter(torch.zeros(2))
        # Set by mark_silent_encoder() for export only (write_artifact resets it): never True while training.
        self.encoder_silent = False
        # The neural part starts at zero, so the untrained model ranks exactly like the item-item part.
        last = self.mlp[-1]
        assert isinstance(last, nn.Linear)
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)
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
        item_item = self.item_item_scale * self.item_item_scores(items, ratings)
        if self.encoder_silent:
            # The encoder's last layer is exactly zero, so every user vector is zero and its scores are the biases.
            return item_item + self.item_bias
        return self.score(self.encode(items, ratings)) + item_item

    def mark_silent_encoder(self) -> bool:
        """Before export: note whether the encoder's output is zero for every history (training kept its last
        layer at the zero it starts from), so the exported module skips computing it. Exact, not approximate."""
        last = self.mlp[-1]
        assert isinstance(last, nn.Linear)
        self.encoder_silent = bool(torch.all(last.weight == 0)) and bool(torch.all(last.bias == 0))
        return self.encoder_silent

    @torch.jit.export
    def encode(self, items: Tensor, ratings: Tensor) -> Tensor:
        """User vectors ``[B, dim]``."""
        batch, length = items.shape
        mask = items > 0
        rated = (ratings > 0).to(torch.float32)
        rating_features = torch.stack([rated, rated * (ratings - 3.0) / 2.0], dim=-1)
        buckets = self.recency_bucket(length, items.device)
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

    def recency_bucket(self, length: int, device: torch.device) -> Tensor:
        """``floor(log2(1 + distance from the newest))`` per column of a left-padded ``[B, length]`` history."""
        positions = torch.arange(length - 1, -1, -1, device=device).to(torch.float32)
        return torch.clamp(torch.log2(positions + 1.0).floor().to(torch.long), max=self.recency_buckets - 1)

    @torch.jit.export
    def item_item_scores(self, items: Tensor, ratings: Tensor) -> Tensor:
        """``x @ B`` (``[B, N]``; zero beyond the item-item block) for the history vector ``x`` whose entry for a
        movie is ``exp(recency_weight[bucket] + rating_weight · [is_rated, (rating - 3) / 2])`` (1 at init)."""
        batch, length = items.shape
        block = self.item_item
        assert isinstance(block, Tensor)
        size = block.shape[0]
        out = torch.zeros(batch, self.num_items, device=items.device)
        if size == 0:
            return out
        rated = (ratings > 0).to(torch.float32)
        log_weight = (self.item_item_recency[self.recency_bucket(length, items.device)].unsqueeze(0)
                      + self.item_item_rating[0] * rated + self.item_item_rating[1] * rated * (ratings - 3.0) / 2.0)
        weight = torch.exp(log_weight) * (items > 0).to(torch.float32)
        columns = torch.where((items > 0) & (items <= size), items - 1, torch.full_like(items, size))
        present = torch.zeros(batch, size + 1, device=items.device).scatter_reduce(
            1, columns, weight, reduce="amax", include_self=True)[:, :size]
        if batch == 1:
            # Serving (one history): only the rows of B for the history's movies contribute, so gather them
            # ([k, N_ii]) instead of multiplying by the whole [N_ii, N_ii] block.
            columns_present = torch.nonzero(present[0]).squeeze(1)
            out[0, :size] = present[0, columns_present] @ block[columns_present]
        else:
            out[:, :size] = present @ block
        return out

    @torch.jit.export
    def score(self, users: Tensor) -> Tensor:
        return users @ self.item_out.t() + self.item_bias

    @torch.jit.export
    def item_table(self) -> tuple[Tensor, Tensor]:
        """Output item vectors ``[N, dim]`` and biases ``[N]`` (their shape is checked against the vocabulary)."""
        return self.item_out, self.item_bias
